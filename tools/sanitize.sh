#!/usr/bin/env bash
# The whole Swift test suite under AddressSanitizer, then under ThreadSanitizer (separate build folders),
# optimised as tools/test.sh builds it: unoptimised, the two runs took 20 and 39 minutes on a Zen 1 host,
# and CI ran out of time; optimised, 54 s and 141 s. Any sanitizer report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/setup.sh
native_dependencies
export LSAN_OPTIONS="suppressions=$PWD/tools/lsan.supp:print_suppressions=0"
for sanitizer in address thread; do
  log=$(mktemp)
  echo "== swift test --sanitize=$sanitizer"
  if ! swift test -c release -Xswiftc -enable-testing --sanitize=$sanitizer --scratch-path .build-$sanitizer 2>&1 | tee "$log" | grep -E "Test run with|passed in|failed"; then
    echo "swift test under $sanitizer sanitizer failed"; tail -50 "$log"; exit 1
  fi
  if grep -qE "ERROR: AddressSanitizer|WARNING: ThreadSanitizer|runtime error:" "$log"; then
    echo "sanitizer report under $sanitizer:"; grep -E -A30 "ERROR: AddressSanitizer|WARNING: ThreadSanitizer" "$log" | head -60; exit 1
  fi
  rm -f "$log"
done
