"""results.md and results.png for tools/bench.py (results.json is its rows as they are)."""

from __future__ import annotations

import math
import statistics

from bench_cold import CODEC_VARIANTS, variant_name

TRACT_NOTE = ("† tract's Python API has no thread setting and runs on one thread: rows at T > 1 show its 1-thread "
              "figures, and ×tract compares convrun at T threads with tract at 1.")


def geomean(values):
    values = [v for v in values if v is not None]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def _f(value, digits=3, suffix=""):
    return "n/a" if value is None else f"{value:.{digits}f}{suffix}"


def _tract_mark(row, engine_stats):
    """The dagger that labels a tract figure measured at 1 thread in a row of more threads."""
    return "†" if engine_stats and row["threads"] != engine_stats.get("threads_used", row["threads"]) else ""


def _tract(row, key, digits):
    t = row.get("tract")
    if not t or t.get(key) is None:
        return "n/a"
    return f"{t[key]:.{digits}f}{_tract_mark(row, t)}"


def warm_table(results):
    lines = ["| model | T | convrun ms | ORT ms | tract ms | torch ms | convrun GFLOP/s | % peak | ×ORT | ×tract | ×torch | "
             "RSS MiB convrun / ORT / tract / torch | load ms convrun / ORT / tract / torch |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        c, o, t = r["convrun"], r["onnxruntime"], r["torch"]
        mark = _tract_mark(r, r.get("tract"))
        lines.append(f"| {r['model']} | {r['threads']} | {c['p50_ms']:.3f} | {o['p50_ms']:.3f} | {_tract(r, 'p50_ms', 3)} | "
                     f"{t['p50_ms']:.3f} | {c['gflops']:.1f} | {c['peak_pct']:.0f}% | {r['speedup_vs_ort']:.2f} | "
                     f"{_f(r.get('speedup_vs_tract'), 2)}{mark if r.get('speedup_vs_tract') else ''} | "
                     f"{r['speedup_vs_torch']:.2f} | "
                     f"{c['rss_mib']:.0f} / {o['rss_mib']:.0f} / {_tract(r, 'rss_mib', 0)} / {t['rss_mib']:.0f} | "
                     f"{c['load_ms']:.1f} / {o['load_ms']:.1f} / {_tract(r, 'load_ms', 1)} / {t['load_ms']:.1f} |")
    for kind in ("architecture", "layer"):
        for threads in sorted({r["threads"] for r in results}):
            rows = [r for r in results if r["kind"] == kind and r["threads"] == threads]
            if rows:
                tract = [r.get("speedup_vs_tract") for r in rows]
                tract_text = (f", ×{geomean(tract):.2f} vs tract{'†' if threads != 1 else ''}"
                              if any(v is not None for v in tract) else ", tract n/a")
                lines.append(f"\nGeomean speed-up, {kind}s at {threads} thread(s): ×{geomean(r['speedup_vs_ort'] for r in rows):.2f} "
                             f"vs onnxruntime{tract_text}, ×{geomean(r['speedup_vs_torch'] for r in rows):.2f} vs PyTorch")
    return lines


def _median_ratio(ort_cold, convrun_cold):
    """onnxruntime's median session + run over convrun's median process, or n/a without both samples."""
    ort_samples, convrun_samples = ort_cold.get("cold_samples_ms"), convrun_cold.get("process_samples_ms")
    if not ort_samples or not convrun_samples:
        return "n/a"
    return f"{statistics.median(ort_samples) / statistics.median(convrun_samples):.2f}"


def cold_table(results, startup):
    lines = ["Cold: convrun as a whole process (`convrun model.c1d input.npy -o out.npy --threads T` spawned fresh and timed "
             "from outside: start-up, load, reading the input, run, writing the output), against session creation + first "
             "run of onnxruntime and tract inside an already-running Python (Python start, imports and reading the input "
             "not counted). Each is the best of the repeats; onnxruntime and tract create a fresh session each time, and "
             "convrun's processes and onnxruntime's sessions take turns, one of each per round, so that both meet the "
             "same moments of a noisy host (×ORT med compares their medians). "
             "convrun load and first run: the fastest of those processes' own `--timings`; overhead = that process − "
             "load − first run (start-up, reading the input, writing the output, exit). ×ORT warm = onnxruntime's warm "
             "median ÷ convrun's whole process.",
             "",
             f"convrun start-up alone (`convrun --version`): {startup['best_ms']:.1f} ms, "
             f"{_f(startup.get('rss_mib'), 1)} MiB peak RSS.",
             "",
             "| model | T | stored as | convrun process ms | ORT session + run ms | tract session + run ms | ×ORT | ×ORT med | "
             "×tract | ×ORT warm | convrun load / first run / overhead ms | ORT session ms | tract load ms | "
             "convrun process RSS MiB |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        cold = r.get("cold")
        if not cold:
            continue
        c, o, t = cold["convrun"], cold["onnxruntime"], cold.get("tract")
        mark = _tract_mark(r, t)
        tract_cold = f"{t['cold_ms']:.1f}{mark}" if t else "n/a"
        tract_load = f"{t['load_ms']:.1f}{mark}" if t else "n/a"
        vs_tract = f"{cold['speedup_vs_tract']:.2f}{mark}" if cold.get("speedup_vs_tract") else "n/a"
        lines.append(f"| {r['model']} | {r['threads']} | {cold['stored_as']} | {c['process_ms']:.1f} | {o['cold_ms']:.1f} | "
                     f"{tract_cold} | {cold['speedup_vs_ort']:.2f} | {_median_ratio(o, c)} | {vs_tract} | "
                     f"{cold['speedup_vs_ort_warm']:.2f} | "
                     f"{c['load_ms']:.1f} / {c['first_run_ms']:.1f} / {c['overhead_ms']:.1f} | {o['load_ms']:.1f} | "
                     f"{tract_load} | {_f(c.get('process_rss_mib'), 0)} |")
    for kind in ("architecture", "layer"):
        for threads in sorted({r["threads"] for r in results}):
            rows = [r for r in results if r["kind"] == kind and r["threads"] == threads and r.get("cold")]
            if rows:
                lines.append(f"\nGeomean cold speed-up, {kind}s at {threads} thread(s): "
                             f"×{geomean(r['cold']['speedup_vs_ort'] for r in rows):.2f} vs onnxruntime session + run "
                             f"(worst ×{min(r['cold']['speedup_vs_ort'] for r in rows):.2f})")
    return lines


def codec_table(results):
    rows = [r for r in results if r.get("codecs")]
    if not rows:
        return []
    names = [variant_name(d, c) for d, c in CODEC_VARIANTS]
    lines = ["Load per codec: each architecture converted from f32/none with `convrun convert --dtype D --codec C`. "
             "Each cell: convrun load ms · whole process ms · file MiB (best of the repeats; these processes do not take turns "
             "with onnxruntime's sessions, so a stored form's whole process may read differently from the cold table). "
             "onnxruntime and tract: session creation (load) of the f32 ONNX file.",
             "",
             "| model | T | " + " | ".join(names) + " | ORT session ms · ONNX MiB | tract load ms |",
             "|---|---|" + "---|" * len(names) + "---|---|"]
    for r in rows:
        cells = []
        for name in names:
            v = r["codecs"].get(name)
            cells.append("n/a" if not v else f"{v['load_ms']:.1f} · {v['process_ms']:.1f} · {v['size_bytes'] / 2**20:.2f}")
        cold = r["cold"]
        t = cold.get("tract")
        tract = f"{t['load_ms']:.1f}{_tract_mark(r, t)}" if t else "n/a"
        lines.append(f"| {r['model']} | {r['threads']} | " + " | ".join(cells) +
                     f" | {cold['onnxruntime']['load_ms']:.1f} · {r['onnx_size_bytes'] / 2**20:.2f} | {tract} |")
    return lines


def write_markdown(results, meta, path):
    lines = [f"CPU: {meta['cpu']['description']}. Single-core FP32 FMA peak measured in this run (tools/peak.c): "
             f"{meta['peak_gflops_per_core']:.1f} GFLOP/s; % peak = GFLOP/s ÷ (peak × threads).",
             "",
             "### Warm (in process)",
             "",
             f"Engines: convrun {meta['versions'].get('convrun', '?')}, onnxruntime {meta['versions'].get('onnxruntime', '?')}, "
             f"tract {meta['versions'].get('tract', '?')}, PyTorch {meta['versions'].get('torch', '?')}. Warm: median latency "
             "after warm-up; load = model load / session creation (imports not counted); RSS = the engine's own process.",
             ""]
    lines += warm_table(results)
    lines += ["", TRACT_NOTE, "", "### Cold (a fresh process per call)", ""]
    lines += cold_table(results, meta["startup"])
    codecs = codec_table(results)
    if codecs:
        lines += ["", "### Load per storage codec", ""] + codecs
    open(path, "w").write("\n".join(lines) + "\n")


def write_chart(results, peak, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib not installed: no chart)")
        return
    labels = [f"{r['model']} T{r['threads']}" for r in results]
    fig, ax = plt.subplots(figsize=(12, max(4, 0.45 * len(results))))
    y = list(range(len(results)))
    engines = [("convrun", "convrun"), ("onnxruntime", "onnxruntime"), ("tract", "tract (1 thread)"), ("torch", "PyTorch")]
    width = 0.2
    for i, (engine, label) in enumerate(engines):
        values = [(r.get(engine) or {}).get("gflops") or 0 for r in results]
        ax.barh([j + (i - 1.5) * width for j in y], values, width, label=label)
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("GFLOP/s (median latency)")
    ax.axvline(peak, color="gray", linestyle="--", linewidth=0.8)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
