#!/usr/bin/env bash
# The benchmark: convrun vs onnxruntime vs tract vs PyTorch at 1 and 2 threads, warm and cold, in one run.
# Installs its Python dependencies, builds convrun in release mode, writes bench-results/.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import torch, onnx, onnxruntime, tract, matplotlib" 2>/dev/null ||
  python3 -m pip install -q "torch==2.13.0+cpu" onnx onnxruntime tract matplotlib
source tools/setup.sh
release_cli
python3 tools/bench.py "$@"
