#!/usr/bin/env bash
# Sets up a fresh Debian machine with Swift (zlib1g-dev and libsndfile1-dev if missing), builds convrun
# in release mode, and runs the seed example: nn_conv1d(16, 33, 3, stride = 2) on a (20, 16, 50) input.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/setup.sh
native_dependencies
release_cli
.build/release/convrun Fixtures/seed/model.c1d Fixtures/seed/input.npy
