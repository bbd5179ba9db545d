#!/usr/bin/env python3
"""Benchmark: convrun vs onnxruntime vs PyTorch, same models, same inputs, one run.

    bash tools/bench.sh            # installs what it needs, builds release, runs this
    python3 tools/bench.py [--only NAME ...] [--threads 1 2] [--rounds 2] [--min-time 1.0]

Each engine runs in its own subprocess per model and thread count (so each one's peak RSS is its own),
after warm-up, for at least --min-time seconds. Writes bench-results/results.{md,json,png}.
Benchmarks are not tests: nothing here asserts, and CI does not run it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, ".."))
sys.path.insert(0, HERE)

PEAK_GFLOPS_PER_CORE = None  # measured at the start of every run (tools/peak.c)


def measure_peak(work):
    """Single-core FMA peak right now: machines here are shared and their clocks vary."""
    binary = os.path.join(work, "peak")
    subprocess.run(["cc", "-O2", os.path.join(HERE, "peak.c"), "-o", binary], check=True)
    return float(subprocess.run([binary], capture_output=True, text=True, check=True).stdout)


# ------------------------------------------------------------------------------------------------
# the models

def layer(c_in, c_out, k, **kw):
    import torch.nn as nn
    return lambda: nn.Conv1d(c_in, c_out, k, **kw)


def suite():
    import gen_fixtures as g
    models = {}
    for name, (constructor, shape, *_rest) in g.ARCHITECTURES.items():
        models[name] = (constructor, shape, "architecture")
    models.update({
        "dense_k3_256": (layer(256, 256, 3, padding=1), (8, 256, 4096), "layer"),
        "pointwise_512": (layer(512, 512, 1), (8, 512, 1024), "layer"),
        "depthwise_k15_256": (layer(256, 256, 15, padding=7, groups=256), (8, 256, 4096), "layer"),
        "depthwise_k33_256": (layer(256, 256, 33, padding=16, groups=256), (8, 256, 4096), "layer"),
        "dilated_k3_d4_256": (layer(256, 256, 3, padding=4, dilation=4), (8, 256, 4096), "layer"),
        "strided_k3_s2_256": (layer(256, 256, 3, stride=2, padding=1), (8, 256, 4096), "layer"),
        "seed_16_33_k3_s2": (layer(16, 33, 3, stride=2), (20, 16, 50), "layer"),
    })
    return models


# ------------------------------------------------------------------------------------------------
# workers: one engine, one model, one thread count; print a JSON line

WORKER = r'''
import json, sys, time, os
engine, path, input_path, threads, min_time = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
import numpy as np
x = np.load(input_path)
t0 = time.perf_counter()
if engine == "torch":
    import torch
    torch.set_num_threads(threads)
    module = torch.load(path, weights_only=False).eval()
    xt = torch.from_numpy(x)
    def call():
        with torch.no_grad():
            return module(xt)
elif engine == "onnxruntime":
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    def call():
        return session.run(None, {name: x})
load = time.perf_counter() - t0
for _ in range(3):
    call()
times = []
start = time.perf_counter()
while len(times) < 5 or (time.perf_counter() - start < min_time and len(times) < 1000):
    t = time.perf_counter(); call(); times.append(time.perf_counter() - t)
times.sort()
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")]
rss = float(hwm[0].split()[1]) / 1024 if hwm else -1
print(json.dumps({"p50_ms": times[len(times) // 2] * 1e3, "min_ms": times[0] * 1e3, "load_ms": load * 1e3, "runs": len(times), "peak_rss_mib": rss}))
'''


def measure(command):
    """Runs `command`; returns its last JSON line and the peak RSS (MiB) the process reports of itself
    (VmHWM: wait4's ru_maxrss would include the high-water mark inherited from this Python parent)."""
    env = dict(os.environ, PYTHONPATH=HERE + os.pathsep + os.environ.get("PYTHONPATH", ""))
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out = bytearray()
    err = bytearray()
    import selectors
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ, out)
    selector.register(process.stderr, selectors.EVENT_READ, err)
    while selector.get_map():
        for key, _ in selector.select():
            chunk = os.read(key.fileobj.fileno(), 65536)
            if not chunk:
                selector.unregister(key.fileobj)
            else:
                key.data.extend(chunk)
    _, status, _ = os.wait4(process.pid, 0)
    if status != 0:
        raise RuntimeError(f"{' '.join(command[:3])} failed: {err.decode()[-2000:]}")
    line = [l for l in out.decode().splitlines() if l.startswith("{")][-1]
    stats = json.loads(line)
    return stats, stats.get("peak_rss_mib", -1)


def keep_best(row, engine, stats, rss):
    """Records this measurement of `engine` if it is its fastest median so far."""
    if engine not in row or stats["p50_ms"] < row[engine]["p50_ms"]:
        row[engine] = {"p50_ms": stats["p50_ms"], "load_ms": stats["load_ms"], "rss_mib": rss}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--min-time", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=2, help="turns per engine; each keeps its best median")
    parser.add_argument("--convrun", default=os.path.join(ROOT, ".build", "release", "convrun"))
    parser.add_argument("--out", default=os.path.join(ROOT, "bench-results"))
    args = parser.parse_args()

    import numpy as np
    import torch
    import c1d

    torch.manual_seed(0)
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="c1d-bench-")
    global PEAK_GFLOPS_PER_CORE
    PEAK_GFLOPS_PER_CORE = measure_peak(work)
    print(f"measured single-core FMA peak: {PEAK_GFLOPS_PER_CORE:.1f} GFLOP/s")
    worker = os.path.join(work, "worker.py")
    open(worker, "w").write(WORKER)
    results = []
    for name, (constructor, shape, kind) in suite().items():
        if args.only and name not in args.only:
            continue
        torch.manual_seed(1)
        module = constructor().eval()
        x = torch.randn(shape)
        paths = {e: os.path.join(work, f"{name}.{e}") for e in ("c1d", "onnx", "pt")}
        c1d.export(module, x, paths["c1d"], dtype="f32", codec="none", fixed_length=False)
        torch.save(module, paths["pt"])
        torch.onnx.export(module, (x,), paths["onnx"], input_names=["input"], opset_version=17, dynamo=False)
        input_path = os.path.join(work, f"{name}.input.npy")
        np.save(input_path, x.numpy())
        flops = None
        for threads in args.threads:
            row = {"model": name, "kind": kind, "shape": list(shape), "threads": threads}
            # Engines take turns for --rounds rounds and each keeps its best median: the machine's speed
            # drifts by more than the differences being measured, and turns spread the drift evenly.
            for _ in range(args.rounds):
                stats, rss = measure([args.convrun, "bench", paths["c1d"], "--length", str(shape[-1]), "--batch",
                                      str(shape[0]), "--threads", str(threads), "--iterations",
                                      str(max(5, int(args.min_time * 20))), "--json", "--input", input_path])
                flops = stats["flops"]
                keep_best(row, "convrun", stats, rss)
                for engine, path in (("onnxruntime", paths["onnx"]), ("torch", paths["pt"])):
                    stats, rss = measure([sys.executable, worker, engine, path, input_path, str(threads), str(args.min_time)])
                    keep_best(row, engine, stats, rss)
            row["flops"] = flops
            for engine in ("convrun", "onnxruntime", "torch"):
                gflops = flops / (row[engine]["p50_ms"] * 1e-3) / 1e9
                row[engine]["gflops"] = gflops
                row[engine]["peak_pct"] = 100 * gflops / (PEAK_GFLOPS_PER_CORE * threads)
            row["speedup_vs_ort"] = row["onnxruntime"]["p50_ms"] / row["convrun"]["p50_ms"]
            row["speedup_vs_torch"] = row["torch"]["p50_ms"] / row["convrun"]["p50_ms"]
            results.append(row)
            print(f"{name:24s} T{threads}  convrun {row['convrun']['p50_ms']:9.3f} ms {row['convrun']['gflops']:6.1f} GF/s"
                  f" | ort {row['onnxruntime']['p50_ms']:9.3f} ms | torch {row['torch']['p50_ms']:9.3f} ms"
                  f" | x{row['speedup_vs_ort']:.2f} vs ort, x{row['speedup_vs_torch']:.2f} vs torch", flush=True)

    json.dump({"peak_gflops_per_core": PEAK_GFLOPS_PER_CORE, "results": results},
              open(os.path.join(args.out, "results.json"), "w"), indent=1)
    write_markdown(results, os.path.join(args.out, "results.md"))
    write_chart(results, os.path.join(args.out, "results.png"))
    print(open(os.path.join(args.out, "results.md")).read())


def geomean(values):
    import math
    values = list(values)
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def write_markdown(results, path):
    lines = [f"Single-core FP32 FMA peak measured in this run: {PEAK_GFLOPS_PER_CORE:.1f} GFLOP/s; % peak = GFLOP/s ÷ (peak × threads).", "",
             "| model | T | convrun ms | ORT ms | torch ms | convrun GFLOP/s | % peak | ×ORT | ×torch | RSS MiB convrun / ORT / torch | load ms convrun / ORT / torch |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        c, o, t = r["convrun"], r["onnxruntime"], r["torch"]
        lines.append(f"| {r['model']} | {r['threads']} | {c['p50_ms']:.3f} | {o['p50_ms']:.3f} | {t['p50_ms']:.3f} | "
                     f"{c['gflops']:.1f} | {c['peak_pct']:.0f}% | {r['speedup_vs_ort']:.2f} | {r['speedup_vs_torch']:.2f} | "
                     f"{c['rss_mib']:.0f} / {o['rss_mib']:.0f} / {t['rss_mib']:.0f} | "
                     f"{c['load_ms']:.1f} / {o['load_ms']:.1f} / {t['load_ms']:.1f} |")
    for kind in ("architecture", "layer"):
        for threads in sorted({r["threads"] for r in results}):
            rows = [r for r in results if r["kind"] == kind and r["threads"] == threads]
            if rows:
                lines.append(f"\nGeomean speed-up, {kind}s at {threads} thread(s): ×{geomean(r['speedup_vs_ort'] for r in rows):.2f} vs onnxruntime, "
                             f"×{geomean(r['speedup_vs_torch'] for r in rows):.2f} vs PyTorch")
    open(path, "w").write("\n".join(lines) + "\n")


def write_chart(results, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib not installed: no chart)")
        return
    labels = [f"{r['model']} T{r['threads']}" for r in results]
    fig, ax = plt.subplots(figsize=(12, max(4, 0.35 * len(results))))
    y = range(len(results))
    ax.barh([i - 0.25 for i in y], [r["convrun"]["gflops"] for r in results], 0.25, label="convrun")
    ax.barh(list(y), [r["onnxruntime"]["gflops"] for r in results], 0.25, label="onnxruntime")
    ax.barh([i + 0.25 for i in y], [r["torch"]["gflops"] for r in results], 0.25, label="PyTorch")
    ax.set_yticks(list(y))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("GFLOP/s (median latency)")
    ax.axvline(PEAK_GFLOPS_PER_CORE, color="gray", linestyle="--", linewidth=0.8)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
