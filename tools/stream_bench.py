#!/usr/bin/env python3
"""Peak RSS and throughput against input length: convrun (time-tiled past 64 MiB of activations) vs
onnxruntime, on the WaveNet and TCN fixtures' architectures and a 64-channel dilated stack.

    bash -c 'source tools/setup.sh && set -o pipefail && release_cli'   # or: bash tools/example.sh
    python3 tools/stream_bench.py [--lengths 10000 100000 1000000 10000000] [--only wavenet tcn stack64]

Each engine runs in its own process (`/usr/bin/time -v` for convrun, VmHWM for onnxruntime), one thread.
Benchmarks are not tests: nothing here asserts except that convrun's output matches onnxruntime's.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, ".."))
sys.path.insert(0, HERE)

ORT_WORKER = r'''
import json, sys, time
import numpy as np, onnxruntime as ort
path, input_path, output_path = sys.argv[1], sys.argv[2], sys.argv[3]
options = ort.SessionOptions()
options.intra_op_num_threads = 1
options.inter_op_num_threads = 1
session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
x = np.load(input_path)
t = time.perf_counter()
y = session.run(None, {session.get_inputs()[0].name: x})[0]
elapsed = time.perf_counter() - t
np.save(output_path, y)
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")]
print(json.dumps({"seconds": elapsed, "peak_rss_mib": float(hwm[0].split()[1]) / 1024}))
'''


def stack64():
    """1 → 64 channels, eight dilated kernel-3 layers with ReLU, → 1: 2 GiB of activations at 4 M samples."""
    import torch.nn as nn

    layers = [nn.Conv1d(1, 64, 3, padding=1), nn.ReLU()]
    for i in range(8):
        layers += [nn.Conv1d(64, 64, 3, padding=2 ** i, dilation=2 ** i), nn.ReLU()]
    layers.append(nn.Conv1d(64, 1, 1))
    return nn.Sequential(*layers)


def models():
    import gen_fixtures as g
    return {"wavenet": g.ARCHITECTURES["wavenet"][0], "tcn": g.ARCHITECTURES["tcn"][0], "stack64": stack64}


def convrun_run(convrun, model, input_path, output_path):
    result = subprocess.run(["/usr/bin/time", "-v", convrun, model, input_path, "-o", output_path, "--threads", "1",
                             "--json"], capture_output=True, text=True)
    if result.returncode != 0:
        return {"error": result.stderr.strip().splitlines()[-1]}
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1)) / 1024
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", result.stderr).group(1)
    # The run alone (as onnxruntime's figure is session.run alone); the wall time adds loading and
    # writing (and fsyncing) the output file.
    seconds = json.loads(result.stdout.strip().splitlines()[-1])["milliseconds"] / 1e3
    return {"seconds": seconds, "wall_seconds": sum(float(p) * 60 ** i for i, p in enumerate(reversed(wall.split(":")))),
            "peak_rss_mib": rss}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lengths", type=int, nargs="+", default=[10_000, 100_000, 1_000_000, 10_000_000])
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--no-ort", action="store_true")
    parser.add_argument("--convrun", default=os.path.join(ROOT, ".build", "release", "convrun"))
    args = parser.parse_args()

    import numpy as np
    import torch
    import c1d

    work = tempfile.mkdtemp(prefix="c1d-stream-bench-")
    worker = os.path.join(work, "ort_worker.py")
    open(worker, "w").write(ORT_WORKER)
    rows = []
    for name, constructor in models().items():
        if args.only and name not in args.only:
            continue
        torch.manual_seed(1)
        module = constructor().eval()
        x = torch.randn(1, 1, 4096)
        c1d_path, onnx_path = os.path.join(work, f"{name}.c1d"), os.path.join(work, f"{name}.onnx")
        c1d.export(module, x, c1d_path, dtype="f32", codec="none", fixed_length=False)
        torch.onnx.export(module, (x,), onnx_path, input_names=["input"], dynamic_axes={"input": {2: "L"}},
                          opset_version=17, dynamo=False)
        for length in args.lengths:
            input_path = os.path.join(work, "input.npy")
            np.save(input_path, np.random.default_rng(length).standard_normal((1, 1, length), dtype=np.float32))
            row = {"model": name, "length": length, "input_mib": length * 4 / 2 ** 20}
            row["convrun"] = convrun_run(args.convrun, c1d_path, input_path, os.path.join(work, "out_c.npy"))
            if not args.no_ort:
                result = subprocess.run([sys.executable, worker, onnx_path, input_path, os.path.join(work, "out_o.npy")],
                                        capture_output=True, text=True)
                row["onnxruntime"] = json.loads(result.stdout) if result.returncode == 0 else {"error": result.stderr.strip()[-200:]}
                if "error" not in row["onnxruntime"] and "error" not in row["convrun"]:
                    a, b = np.load(os.path.join(work, "out_c.npy")), np.load(os.path.join(work, "out_o.npy"))
                    row["max_relative_error_vs_ort"] = float(np.max(np.abs(a - b)) / max(1.0, float(np.max(np.abs(b)))))
            output_mib = os.path.getsize(os.path.join(work, "out_c.npy")) / 2 ** 20 if "error" not in row["convrun"] else 0
            row["output_mib"] = output_mib
            rows.append(row)
            c, o = row["convrun"], row.get("onnxruntime", {})
            def fmt(r):
                return "error" if "error" in r else f"{r['peak_rss_mib']:8.1f} MiB {length / r['seconds'] / 1e6:7.3f} MS/s"
            print(f"{name:8} L={length:>9}: convrun {fmt(c)} | onnxruntime {fmt(o) if o else '-'}"
                  f" | err {row.get('max_relative_error_vs_ort', float('nan')):.2e}", flush=True)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
