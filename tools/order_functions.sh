#!/usr/bin/env bash
# Regenerates tools/convrun.order: the functions a CLI run executes, in the order `release_cli` asks the
# linker (lld's --symbol-ordering-file) to lay them out, together at the start of the code. A cold call
# fetches its code anew (a 15 ms pause before a spawn cost a QuartzNet process ~0.5-0.75 ms, most of it
# code); laid out together, the functions a run executes span 345 pages of 4 KiB instead of 648.
#
# Traced with valgrind's callgrind (every function executed, not a sample) over the shipped architectures,
# as stored at one and two threads and as f16 and bf16 shuffle-deflate at one, and `--version` (~10 minutes
# on two cores). valgrind offers no AVX-512, so the runs take the AVX2 kernels: each one's AVX-512 counterpart is listed after it.
# Stale names are harmless (the linker skips them); rerun after changes that move much of a run's code.
#
#   bash tools/order_functions.sh      # needs valgrind (apt-get install valgrind)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "order_functions: needs valgrind (apt-get install valgrind)" >&2; exit 1; }
source tools/setup.sh
release_cli
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# valgrind cannot read the Swift debug information; the symbol table is enough.
cp .build/release/convrun "$work/convrun"
strip --strip-debug "$work/convrun"
# One traced run per line of $work/runs, two at a time.
printf '%s\n' "$work/convrun --version" >"$work/runs"
for dir in Fixtures/architectures/*/; do
  name=$(basename "$dir")
  # As stored, at one and two threads; as f16 and bf16 shuffle-deflate at one (the decode paths differ, the
  # threading does not).
  for threads in 1 2; do echo "$work/convrun $dir/model.c1d $dir/input.npy -o $work/$name.$threads.npy --threads $threads"; done
  for form in f16 bf16; do
    "$work/convrun" convert "$dir/model.c1d" "$work/$name.$form.c1d" --dtype "$form" --codec shuffle-deflate >/dev/null
    echo "$work/convrun $work/$name.$form.c1d $dir/input.npy -o $work/$name.$form.npy --threads 1"
  done
done >>"$work/runs"
traces=$(wc -l <"$work/runs")
nl -w1 -s' ' "$work/runs" | xargs -P 2 -L 1 sh -c \
  'n=$1; shift; valgrind --tool=callgrind --demangle=no --callgrind-out-file="'"$work"'/trace.$n" "$@" >/dev/null 2>&1' sh
nm --defined-only "$work/convrun" | awk '$2 ~ /[tTwW]/ {print $3}' | sort -u >"$work/symbols"
python3 -c '
import re, sys
symbols = set(open(sys.argv[1]).read().split())
runs = {}  # name -> how many traces executed it: the functions every run needs first
for trace in sys.argv[2:]:
    names = set(re.findall(r"^c?fn=\(\d+\) (\S+)$", open(trace).read(), re.M))
    for name in names:
        runs[name] = runs.get(name, 0) + 1
ordered, seen = [], set()
def add(name):
    if name in symbols and name not in seen:
        seen.add(name)
        ordered.append(name)
for name in sorted(runs, key=lambda n: (-runs[n], n)):
    add(name)
    if name.endswith("__avx2"):
        add(name[: -len("__avx2")] + "__avx512f")
    for avx2, wider in (("_avx2", "_evex"), ("_avx2", "_avx512"), ("_avx2", "_evex512")):
        if avx2 in name:
            add(name.replace(avx2, wider))
for name in sorted(symbols):  # AVX-512-only kernels (VPCLMULQDQ CRC) that valgrind never runs
    if name.startswith("c1d_") and ("avx512" in name or "vpclmul" in name):
        add(name)
print("\n".join(ordered))
' "$work/symbols" "$work"/trace.* >tools/convrun.order
echo "order_functions: $(wc -l <tools/convrun.order) functions from $traces traces in tools/convrun.order"
