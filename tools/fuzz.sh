#!/usr/bin/env bash
# Fuzzes the loader, the input readers (.npy, raw, audio through libsndfile) and the interpreter with
# libFuzzer under AddressSanitizer.
#   tools/fuzz.sh SECONDS [TARGET ...]     (targets: loader input interpreter audio; default all)
# Seeds come from Fixtures/; every crash is copied to Fixtures/malformed/fuzz/<target>/, where the
# test suite replays it. The growing corpus is kept in .build-fuzz/corpus/<target>/ so that successive
# runs build on each other's coverage. Prints executions and coverage per target; exits 1 if any crashed.
set -uo pipefail
cd "$(dirname "$0")/.."
source tools/setup.sh
native_dependencies
seconds=${1:-60}
shift || true
targets=("${@:-loader input interpreter audio}")
[ $# -eq 0 ] && targets=(loader input interpreter audio)

swift build -c release --product C1DFuzz --scratch-path .build-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DFUZZING \
  -Xcc -fsanitize=fuzzer-no-link,address >/dev/null || { echo "fuzz build failed"; exit 1; }
binary=.build-fuzz/release/C1DFuzz
# The same leak suppressions as the sanitized suite: third-party libraries' own leaks only.
export LSAN_OPTIONS="suppressions=$PWD/tools/lsan.supp:print_suppressions=0"

status=0
for target in "${targets[@]}"; do
  work=$(mktemp -d)
  corpus=.build-fuzz/corpus/$target
  mkdir -p "$corpus" "$work/artifacts" "Fixtures/malformed/fuzz/$target"
  case $target in
    loader) seeds=(Fixtures/seed Fixtures/malformed Fixtures/malformed/fuzz/loader); cp Fixtures/architectures/tcn/model.c1d "$corpus/tcn.c1d"; cp Fixtures/ops/v11_shape_ops/model.c1d "$corpus/v11_shape_ops.c1d"; cp Fixtures/ops/conv_transpose_stack/model.c1d "$corpus/conv_transpose_stack.c1d"; extra=(-dict=tools/fuzz/c1d.dict -max_len=65536) ;;
    input) seeds=(Fixtures/malformed/fuzz/input); cp Fixtures/seed/input.npy "$corpus/"; extra=(-max_len=8192) ;;
    interpreter) seeds=(Fixtures/malformed/fuzz/interpreter); extra=(-max_len=64) ;;
    # libsndfile's parsers (WAV, FLAC, Ogg, MP3, AIFF) as the CLI calls them; seeded with small files of each.
    audio) seeds=(Fixtures/audio Fixtures/malformed/fuzz/audio); extra=(-max_len=16384) ;;
  esac
  SWIFT_BACKTRACE=enable=no C1D_FUZZ_TARGET=$target "$binary" -max_total_time="$seconds" -rss_limit_mb=4096 \
    -timeout=20 -artifact_prefix="$work/artifacts/" -print_final_stats=1 "${extra[@]}" "$corpus" "${seeds[@]}" \
    > "$work/log" 2>&1
  code=$?
  runs=$(grep -oE "stat::number_of_executed_units: *[0-9]+" "$work/log" | grep -oE "[0-9]+$")
  cov=$(grep -oE "cov: [0-9]+ ft: [0-9]+" "$work/log" | tail -1)
  echo "$target: ${runs:-?} executions in ${seconds}s, ${cov:-no coverage line}, exit $code"
  for crash in "$work"/artifacts/*; do
    [ -e "$crash" ] || continue
    cp "$crash" "Fixtures/malformed/fuzz/$target/$(basename "$crash")"
    echo "  CRASH kept as Fixtures/malformed/fuzz/$target/$(basename "$crash")"
    grep -m3 -E "ERROR|SUMMARY|Fatal error" "$work/log" | sed 's/^/    /'
    status=1
  done
  rm -rf "$work"
done
exit $status
