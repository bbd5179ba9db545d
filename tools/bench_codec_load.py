"""Load time per storage codec: each fixture architecture, in the dtype it is stored in, re-encoded with
every codec by `convrun convert`, then loaded by `convrun bench` (its in-process `load_ms`), the codecs
interleaved, best of --repeats.

    python3 tools/bench_codec_load.py [--convrun .build/release/convrun] [--repeats 9]
"""
import argparse
import json
import os
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARCHITECTURES = os.path.join(ROOT, "Fixtures", "architectures")
CODECS = ["deflate", "shuffle-deflate", "none"]


def stored_dtype(convrun, model):
    table = subprocess.run([convrun, "inspect", model], check=True, capture_output=True, text=True).stdout
    for dtype in ("bf16", "f16", "f32"):
        if f" {dtype}/" in table:
            return dtype
    raise SystemExit(f"{model}: no tensor dtype found in `convrun inspect`")


def load_ms(convrun, model, example):
    out = subprocess.run([convrun, "bench", model, "--input", example, "--threads", "1", "--warmup", "0",
                          "--iterations", "1", "--json"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)["load_ms"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--convrun", default=os.path.join(ROOT, ".build", "release", "convrun"))
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    print("| model | dtype | " + " | ".join(f"{c} ms · MB" for c in CODECS) + " | deflate ÷ shuffle-deflate | shuffle-deflate ÷ none |")
    print("|---" * (len(CODECS) + 4) + "|")
    with tempfile.TemporaryDirectory() as scratch:
        for name in sorted(os.listdir(ARCHITECTURES)):
            source = os.path.join(ARCHITECTURES, name, "model.c1d")
            example = os.path.join(ARCHITECTURES, name, "input.npy")
            dtype = stored_dtype(args.convrun, source)
            paths = {c: os.path.join(scratch, f"{name}.{c}.c1d") for c in CODECS}
            for codec, path in paths.items():
                subprocess.run([args.convrun, "convert", source, path, "--dtype", dtype, "--codec", codec],
                               check=True, capture_output=True)
            best = {c: float("inf") for c in CODECS}
            for _ in range(args.repeats):
                for codec in CODECS:
                    best[codec] = min(best[codec], load_ms(args.convrun, paths[codec], example))
            cells = [f"{best[c]:.2f} · {os.path.getsize(paths[c]) / 1e6:.2f}" for c in CODECS]
            ratios = [best["deflate"] / best["shuffle-deflate"], best["shuffle-deflate"] / best["none"]]
            print(f"| {name} | {dtype} | " + " | ".join(cells) + " | " + " | ".join(f"{r:.2f}" for r in ratios) + " |")


if __name__ == "__main__":
    main()
