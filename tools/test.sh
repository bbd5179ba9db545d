#!/usr/bin/env bash
# The whole test suite: installs what it needs on a fresh Debian machine with Swift (zlib1g-dev,
# libsndfile1-dev, python3-venv; Python packages into .venv/, never into the system's python3), builds,
# and runs the Swift tests, then the Python tests (schema, interop, end-to-end through convrun).
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/setup.sh
native_dependencies
python_environment

swift build
swift test
CONVRUN="$PWD/.build/debug/convrun" .venv/bin/python -m pytest -q tools/tests
