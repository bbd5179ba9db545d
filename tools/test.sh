#!/usr/bin/env bash
# The whole test suite: installs what it needs on a fresh Debian machine with Swift, builds, and runs
# the Swift tests, then the Python tests (schema, interop, end-to-end through convrun).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! { [ -f /usr/include/zlib.h ] && [ -f /usr/include/libdeflate.h ]; }; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq zlib1g-dev libdeflate-dev; else sudo apt-get update -qq && sudo apt-get install -y -qq zlib1g-dev libdeflate-dev; fi
fi
python3 -c "import numpy, pytest, jsonschema" 2>/dev/null || python3 -m pip install -q numpy pytest jsonschema

swift build
swift test
CONVRUN="$PWD/.build/debug/convrun" python3 -m pytest -q tools/tests
