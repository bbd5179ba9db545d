#!/usr/bin/env python3
"""Benchmark: convrun vs onnxruntime vs tract vs PyTorch, same models, same inputs, one run.

    bash tools/bench.sh            # installs what it needs, builds release, runs this
    python3 tools/bench.py [--only NAME ...] [--threads 1 2] [--rounds 2] [--min-time 1.0] [--repeats 5]

Warm: each engine runs in its own subprocess per model and thread count (so each one's peak RSS is its own),
after warm-up, for at least --min-time seconds; engines take turns for --rounds rounds. tract's Python API
has no thread setting: it is measured once, at 1 thread.
Cold: convrun as a whole fresh process (timed from outside) against session creation + first run of
onnxruntime and tract in an already-running Python, best of --repeats (bench_cold.py).
Codecs: each architecture converted to f32/none, f32/deflate, f16 and bf16 shuffle-deflate; convrun's load
and whole process for each, with file sizes, next to onnxruntime's session creation.
Writes bench-results/results.{md,json,png} (bench_report.py). Benchmarks are not tests: nothing here
asserts, and CI does not run it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, ".."))
sys.path.insert(0, HERE)

import bench_cold  # noqa: E402
import bench_report  # noqa: E402

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


def transposed_layer(c_in, c_out, k, **kw):
    import torch.nn as nn
    return lambda: nn.ConvTranspose1d(c_in, c_out, k, **kw)


EXPORT_DEFAULT = ("f32", "shuffle-deflate")  # c1d.export's default: how a layer is stored for the cold table
# Issue 16's dense + depthwise net is stored as f32 + deflate, the export default it was measured with.
ISSUE_DENSE_DEPTHWISE = ("f32", "deflate")


def suite():
    import gen_fixtures as g
    from bench_models import dense_depthwise_net
    models = {}
    for name, (constructor, shape, dtype, codec, *_rest) in g.ARCHITECTURES.items():
        models[name] = (constructor, shape, "architecture", (dtype, codec))  # stored as its fixture is
    models["dense_depthwise_net"] = (dense_depthwise_net, (4, 64, 8000), "architecture", ISSUE_DENSE_DEPTHWISE)
    models.update({
        "dense_k3_256": (layer(256, 256, 3, padding=1), (8, 256, 4096), "layer", EXPORT_DEFAULT),
        "pointwise_512": (layer(512, 512, 1), (8, 512, 1024), "layer", EXPORT_DEFAULT),
        "depthwise_k15_256": (layer(256, 256, 15, padding=7, groups=256), (8, 256, 4096), "layer", EXPORT_DEFAULT),
        "depthwise_k33_256": (layer(256, 256, 33, padding=16, groups=256), (8, 256, 4096), "layer", EXPORT_DEFAULT),
        "dilated_k3_d4_256": (layer(256, 256, 3, padding=4, dilation=4), (8, 256, 4096), "layer", EXPORT_DEFAULT),
        "strided_k3_s2_256": (layer(256, 256, 3, stride=2, padding=1), (8, 256, 4096), "layer", EXPORT_DEFAULT),
        # A vocoder's first upsampler (HiFi-GAN V1: 512 -> 256, k16, x8).
        "upsample_k16_s8_512": (transposed_layer(512, 256, 16, stride=8, padding=4), (8, 512, 256), "layer",
                                EXPORT_DEFAULT),
        "seed_16_33_k3_s2": (layer(16, 33, 3, stride=2), (20, 16, 50), "layer", EXPORT_DEFAULT),
    })
    return models


# ------------------------------------------------------------------------------------------------
# workers: one engine, one model, one thread count; print a JSON line.
# warm: load once, warm up, time runs for at least min_time. cold: `repeats` fresh sessions, each created and
# run once. Imports and reading the input come first and are not timed.

WORKER = r'''
import gc, json, os, re, sys, tempfile, time
engine, path, input_path, threads, min_time, mode, repeats = (sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]),
                                                               float(sys.argv[5]), sys.argv[6], int(sys.argv[7]))
# cold only: a command (convrun's whole process) to run between the fresh sessions, so that both see the same
# moments of a noisy host; timed spawn to exit, its output discarded and its --timings line read from stderr.
alternate = json.loads(sys.argv[8]) if len(sys.argv) > 8 else None
import numpy as np
x = np.load(input_path)
if engine == "torch":
    import torch
    torch.set_num_threads(threads)
elif engine == "onnxruntime":
    import onnxruntime as ort
elif engine == "tract":
    import tract

def create():
    if engine == "torch":
        module = torch.load(path, weights_only=False).eval()
        xt = torch.from_numpy(x)
        def call():
            with torch.no_grad():
                return module(xt)
        return call
    if engine == "onnxruntime":
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        return lambda: session.run(None, {name: x})
    if engine == "tract":
        # tract.onnx().load → InferenceModel; a fixed input fact; into_model() types it; into_runnable() optimizes
        # it for the default (CPU) runtime. Outputs are copied to numpy, as onnxruntime's are.
        model = tract.onnx().load(path)
        model.set_input_fact(0, ",".join(str(d) for d in x.shape) + ",f32")
        runnable = model.into_model().into_runnable()
        state = runnable.spawn_state()
        return lambda: [t.to_numpy() for t in state.run([x])]
    raise SystemExit(f"unknown engine {engine}")

def rss_mib():
    hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")]
    return float(hwm[0].split()[1]) / 1024 if hwm else -1

def run_alternate():
    """The alternate command's whole process in ms, and the phases its `--timings` line on stderr gives
    ({"load": ms, "input": ms, "run": ms, "write": ms}; empty when it printed none)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    errors = tempfile.TemporaryFile()
    try:
        t = time.perf_counter()
        pid = os.posix_spawn(alternate[0], alternate, os.environ,
                             file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, errors.fileno(), 2)])
        _, status = os.waitpid(pid, 0)
        elapsed = time.perf_counter() - t
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")
    finally:
        os.close(devnull)
        errors.close()
    if status != 0:
        raise SystemExit(f"{' '.join(alternate)} failed (wait status {status}): {stderr[-2000:]}")
    phases = {name: float(ms) for line in stderr.splitlines() if line.startswith("timings")
              for name, ms in re.findall(r"(load|input|run|write) ([0-9.]+) ms", line)}
    return elapsed * 1e3, phases

if mode == "cold":
    loads, colds, alternates = [], [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        call = create()
        t1 = time.perf_counter()
        call()
        t2 = time.perf_counter()
        loads.append((t1 - t0) * 1e3)
        colds.append((t2 - t0) * 1e3)
        del call
        gc.collect()
        if alternate:
            alternates.append(run_alternate())
    fastest = min(alternates, key=lambda a: a[0]) if alternate else None
    print(json.dumps({"cold_ms": min(colds), "load_ms": min(loads), "first_cold_ms": colds[0], "first_load_ms": loads[0],
                      "cold_samples_ms": colds, "load_samples_ms": loads, "peak_rss_mib": rss_mib(),
                      **({"alternate_ms": fastest[0], "alternate_samples_ms": [a[0] for a in alternates],
                          "alternate_phases_ms": fastest[1]} if alternate else {})}))
    raise SystemExit(0)

t0 = time.perf_counter()
call = create()
load = time.perf_counter() - t0
for _ in range(3):
    call()
times = []
start = time.perf_counter()
while len(times) < 5 or (time.perf_counter() - start < min_time and len(times) < 1000):
    t = time.perf_counter(); call(); times.append(time.perf_counter() - t)
times.sort()
print(json.dumps({"p50_ms": times[len(times) // 2] * 1e3, "min_ms": times[0] * 1e3, "load_ms": load * 1e3, "runs": len(times),
                  "peak_rss_mib": rss_mib()}))
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
    parser.add_argument("--repeats", type=int, default=5,
                        help="cold and load measurements: fresh processes / sessions per figure, best kept")
    parser.add_argument("--no-tract", action="store_true", help="leave tract out")
    parser.add_argument("--no-codecs", action="store_true", help="skip the load-per-codec table")
    parser.add_argument("--convrun", default=os.path.join(ROOT, ".build", "release", "convrun"))
    parser.add_argument("--out", default=os.path.join(ROOT, "bench-results"))
    args = parser.parse_args()

    import numpy as np
    import torch
    import c1d

    versions = {"torch": torch.__version__,
                "convrun": subprocess.run([args.convrun, "--version"], capture_output=True, text=True).stdout.strip()}
    import onnxruntime
    versions["onnxruntime"] = onnxruntime.__version__
    use_tract = not args.no_tract
    if use_tract:
        try:
            import tract
            versions["tract"] = tract.version()
        except ImportError:
            print("(tract not installed: pip install tract; its columns read n/a)")
            use_tract = False

    torch.manual_seed(0)
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="c1d-bench-")
    global PEAK_GFLOPS_PER_CORE
    PEAK_GFLOPS_PER_CORE = measure_peak(work)
    cpu = bench_cold.cpu_description()
    print(f"CPU: {cpu['description']}; measured single-core FMA peak: {PEAK_GFLOPS_PER_CORE:.1f} GFLOP/s")
    startup = bench_cold.whole_process([args.convrun, "--version"], args.repeats)
    print(f"convrun --version: {startup['best_ms']:.1f} ms, {startup['rss_mib']} MiB")
    worker = os.path.join(work, "worker.py")
    open(worker, "w").write(WORKER)

    def run_worker(engine, path, input_path, threads, mode="warm", alternate=None):
        return measure([sys.executable, worker, engine, path, input_path, str(threads), str(args.min_time), mode,
                        str(args.repeats), *([json.dumps(alternate)] if alternate else [])])

    def try_tract(*a, **kw):
        """tract may refuse an op: its columns then read n/a and the run goes on."""
        try:
            return run_worker("tract", *a, **kw)
        except RuntimeError as error:
            print(f"  tract: {str(error).strip().splitlines()[-1][:300]}")
            return None

    results = []
    for name, (constructor, shape, kind, stored) in suite().items():
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
        output_path = os.path.join(work, f"{name}.output.npy")
        np.save(input_path, x.numpy())
        # stored forms: the one this model ships as (cold table) and, for architectures, every codec of the table
        forms = [stored] + [v for v in bench_cold.CODEC_VARIANTS
                            if kind == "architecture" and not args.no_codecs and v != stored]
        variants = {bench_cold.variant_name(*f): bench_cold.convert(args.convrun, paths["c1d"], *f, work, name) for f in forms}
        flops = None
        tract_warm = tract_cold = None  # tract: one thread whatever T, measured with the first thread count
        for index, threads in enumerate(args.threads):
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
                    stats, rss = run_worker(engine, path, input_path, threads)
                    keep_best(row, engine, stats, rss)
                if use_tract and index == 0:
                    measured = try_tract(paths["onnx"], input_path, 1)
                    if measured:
                        keep_best(row, "tract", *measured)
            if index == 0 and "tract" in row:
                tract_warm = dict(row.pop("tract"), threads_used=1)
            row["tract"] = tract_warm
            row["flops"] = flops
            for engine in ("convrun", "onnxruntime", "tract", "torch"):
                if row[engine] is None:
                    continue
                gflops = flops / (row[engine]["p50_ms"] * 1e-3) / 1e9
                row[engine]["gflops"] = gflops
                row[engine]["peak_pct"] = 100 * gflops / (PEAK_GFLOPS_PER_CORE * row[engine].get("threads_used", threads))
            row["speedup_vs_ort"] = row["onnxruntime"]["p50_ms"] / row["convrun"]["p50_ms"]
            row["speedup_vs_torch"] = row["torch"]["p50_ms"] / row["convrun"]["p50_ms"]
            row["speedup_vs_tract"] = row["tract"]["p50_ms"] / row["convrun"]["p50_ms"] if row["tract"] else None

            # cold: every stored form as a whole process + its load; onnxruntime and tract: fresh sessions
            measured = {v: bench_cold.measure_variant(args.convrun, path, size, input_path, output_path, threads,
                                                      args.repeats)
                        for v, (path, size) in variants.items()}
            stored_name = bench_cold.variant_name(*stored)
            # the headline pair: convrun's whole process and onnxruntime's fresh session + run, taking turns
            # posix_spawn does not search PATH: the worker gets convrun's path
            convrun_path = shutil.which(args.convrun) or args.convrun
            ort_cold, _ = run_worker("onnxruntime", paths["onnx"], input_path, threads, "cold",
                                     alternate=[convrun_path, variants[stored_name][0], input_path, "-o", output_path,
                                                "--threads", str(threads), "--timings"])
            if use_tract and index == 0:
                found = try_tract(paths["onnx"], input_path, 1, "cold")
                tract_cold = dict(found[0], threads_used=1) if found else None
            convrun_cold = bench_cold.with_process(measured[stored_name], ort_cold.pop("alternate_ms"),
                                                   ort_cold.pop("alternate_samples_ms"), ort_cold.pop("alternate_phases_ms"))
            row["cold"] = {
                "stored_as": stored_name, "convrun": convrun_cold, "onnxruntime": ort_cold, "tract": tract_cold,
                "convrun_startup_ms": startup["best_ms"],
                "speedup_vs_ort": ort_cold["cold_ms"] / convrun_cold["process_ms"],
                "speedup_vs_tract": tract_cold["cold_ms"] / convrun_cold["process_ms"] if tract_cold else None,
                "speedup_vs_ort_warm": row["onnxruntime"]["p50_ms"] / convrun_cold["process_ms"],
            }
            if kind == "architecture" and not args.no_codecs:
                row["codecs"] = {bench_cold.variant_name(*v): measured[bench_cold.variant_name(*v)]
                                 for v in bench_cold.CODEC_VARIANTS}
            row["onnx_size_bytes"] = os.path.getsize(paths["onnx"])
            results.append(row)
            tract_text = f"{row['tract']['p50_ms']:9.3f} ms{'†' if threads != 1 else ' '}" if row["tract"] else "      n/a    "
            print(f"{name:24s} T{threads}  convrun {row['convrun']['p50_ms']:9.3f} ms {row['convrun']['gflops']:6.1f} GF/s"
                  f" | ort {row['onnxruntime']['p50_ms']:9.3f} ms | tract {tract_text} | torch {row['torch']['p50_ms']:9.3f} ms"
                  f" | x{row['speedup_vs_ort']:.2f} vs ort, x{row['speedup_vs_torch']:.2f} vs torch", flush=True)
            print(f"{'':24s}     cold ({stored_name}): convrun process {convrun_cold['process_ms']:.1f} ms "
                  f"(load {convrun_cold['load_ms']:.1f}, first run {convrun_cold['first_run_ms']:.1f}, "
                  f"overhead {convrun_cold['overhead_ms']:.1f}) | ort session + run {ort_cold['cold_ms']:.1f} ms "
                  f"(session {ort_cold['load_ms']:.1f}) | tract "
                  f"{'n/a' if not tract_cold else format(tract_cold['cold_ms'], '.1f') + ' ms'}", flush=True)

    meta = {"peak_gflops_per_core": PEAK_GFLOPS_PER_CORE, "cpu": cpu, "versions": versions, "startup": startup,
            "tract_threads_note": bench_report.TRACT_NOTE,
            "settings": {"threads": args.threads, "rounds": args.rounds, "min_time": args.min_time,
                         "repeats": args.repeats}}
    json.dump({**meta, "results": results}, open(os.path.join(args.out, "results.json"), "w"), indent=1)
    bench_report.write_markdown(results, meta, os.path.join(args.out, "results.md"))
    bench_report.write_chart(results, PEAK_GFLOPS_PER_CORE, os.path.join(args.out, "results.png"))
    print(open(os.path.join(args.out, "results.md")).read())


if __name__ == "__main__":
    main()
