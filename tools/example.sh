#!/usr/bin/env bash
# Sets up a fresh Debian machine with Swift (zlib1g-dev if missing), builds convrun in release mode,
# and runs the seed example: nn_conv1d(16, 33, 3, stride = 2) on a (20, 16, 50) input.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! { [ -f /usr/include/zlib.h ] && [ -f /usr/include/libdeflate.h ]; }; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq zlib1g-dev libdeflate-dev; else sudo apt-get update -qq && sudo apt-get install -y -qq zlib1g-dev libdeflate-dev; fi
fi
swift build -c release --product convrun
.build/release/convrun Fixtures/seed/model.c1d Fixtures/seed/input.npy
