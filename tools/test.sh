#!/usr/bin/env bash
# The whole test suite: installs what it needs on a fresh Debian machine with Swift (zlib1g-dev,
# libsndfile1-dev, python3-venv; Python packages into .venv/, never into the system's python3), builds,
# and runs the Swift tests, then the Python tests (schema, interop, end-to-end through convrun).
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/setup.sh
native_dependencies
python_environment

# Optimised, with testable imports: a debug build runs the C kernels unoptimised, and the suite took 514 s
# that way against 18 s optimised (Zen 1 host, 2 cores). Its own scratch folder, so that the release
# convrun of tools/example.sh (a static executable, other flags) is not rebuilt by each in turn.
build=(-c release -Xswiftc -enable-testing --scratch-path .build-test)
swift build --build-tests "${build[@]}"
swift test --skip-build "${build[@]}"
CONVRUN="$PWD/.build-test/release/convrun" .venv/bin/python -m pytest -q tools/tests
