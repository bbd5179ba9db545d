"""Cold-path measurements for tools/bench.py: whole processes timed from outside, convrun's load and first
run, codec variants of a model, and the CPU's name."""

from __future__ import annotations

import json
import os
import subprocess
import time

# The codecs the load table compares (issue 16): f32 raw and deflated, and the two 16-bit shuffled forms.
CODEC_VARIANTS = [("f32", "none"), ("f32", "deflate"), ("f16", "shuffle-deflate"), ("bf16", "shuffle-deflate")]


def variant_name(dtype, codec):
    return f"{dtype}/{codec}"


def convert(convrun, source, dtype, codec, work, stem):
    """`convrun convert source → work/stem.dtype-codec.c1d`; returns the new path and its size in bytes."""
    path = os.path.join(work, f"{stem}.{dtype}-{codec}.c1d")
    subprocess.run([convrun, "convert", source, path, "--dtype", dtype, "--codec", codec],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return path, os.path.getsize(path)


def whole_process(command, repeats):
    """Runs `command` as a fresh process `repeats` times, timed from outside (spawn to exit); returns the best
    and every sample in ms, and the peak RSS of one more run measured by /usr/bin/time (this Python's own
    high-water mark would leak into wait4's ru_maxrss of a child it spawns directly)."""
    samples = []
    for _ in range(repeats):
        t = time.perf_counter()
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - t
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.decode()[-2000:]}")
        samples.append(elapsed * 1e3)
    rss = None
    gnu_time = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None
    if gnu_time:
        done = subprocess.run([gnu_time, "-f", "%M", *command], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True)
        try:
            rss = int(done.stderr.strip().splitlines()[-1]) / 1024
        except (ValueError, IndexError):
            rss = None
    return {"best_ms": min(samples), "samples_ms": samples, "rss_mib": rss}


def convrun_load(convrun, model, input_path, threads, repeats):
    """convrun's load and first run in-process: `convrun bench --warmup 0 --iterations 1`, best of `repeats`
    fresh processes (best load and best first run taken separately)."""
    loads, firsts = [], []
    for _ in range(repeats):
        done = subprocess.run([convrun, "bench", model, "--input", input_path, "--threads", str(threads),
                               "--warmup", "0", "--iterations", "1", "--json"], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"convrun bench {model} failed: {done.stderr[-2000:]}")
        stats = json.loads([l for l in done.stdout.splitlines() if l.startswith("{")][-1])
        loads.append(stats["load_ms"])
        firsts.append(stats["min_ms"])
    return {"load_ms": min(loads), "first_run_ms": min(firsts), "load_samples_ms": loads, "first_run_samples_ms": firsts}


def measure_variant(convrun, path, size, input_path, output_path, threads, repeats):
    """One stored form of a model at one thread count: file size, load, first run, and the whole process."""
    process = whole_process([convrun, path, input_path, "-o", output_path, "--threads", str(threads)], repeats)
    load = convrun_load(convrun, path, input_path, threads, repeats)
    return {"size_bytes": size, "process_ms": process["best_ms"], "process_samples_ms": process["samples_ms"],
            "process_rss_mib": process["rss_mib"], **load,
            # what the CLI costs beyond the work: start-up, argument parsing, reading the input, writing the output
            "overhead_ms": process["best_ms"] - load["load_ms"] - load["first_run_ms"]}


def with_process(variant, best_ms, samples_ms, phases=None):
    """`variant` (measure_variant's) with its whole-process figures replaced by another set of samples (those
    taken in turns with onnxruntime's sessions). `phases`, the fastest of those processes' own `--timings`
    (load, input, run, write in ms), then give its load and first run, and the overhead is what that same
    process spent besides them; without them, the overhead is recomputed from the separate measurements."""
    if phases and {"load", "run"} <= phases.keys():
        return dict(variant, process_ms=best_ms, process_samples_ms=samples_ms, load_ms=phases["load"],
                    first_run_ms=phases["run"], phases_ms=phases, overhead_ms=best_ms - phases["load"] - phases["run"])
    return dict(variant, process_ms=best_ms, process_samples_ms=samples_ms,
                overhead_ms=best_ms - variant["load_ms"] - variant["first_run_ms"])


def cpu_description():
    """lscpu's model name, with family/model and the widest vector extension, and the cores this process may use."""
    fields = {}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, env=dict(os.environ, LC_ALL="C")).stdout
        for line in out.splitlines():
            key, _, value = line.partition(":")
            fields[key.strip()] = value.strip()
    except OSError:
        pass
    name = fields.get("Model name") or "unknown CPU"
    flags = set(fields.get("Flags", "").split())
    vector = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "AVX" if "avx" in flags else None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    details = [f"family {fields['CPU family']} model {fields['Model']}"] if "CPU family" in fields and "Model" in fields else []
    if vector:
        details.append(vector)
    text = name + (f" ({', '.join(details)})" if details else "") + f", {cores} core(s)"
    return {"model_name": name, "cpu_family": fields.get("CPU family"), "model": fields.get("Model"),
            "vector": vector, "cores": cores, "description": text}
