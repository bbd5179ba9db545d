#!/usr/bin/env python3
"""Times a vocoder-like upsampling stack of ConvTranspose1d layers in PyTorch and onnxruntime, and writes
the same model as .c1d for `convrun bench`:

    python3 tools/bench_conv_transpose.py /tmp/upsampler          # writes model.c1d, model.onnx, prints times
    .build/release/convrun bench /tmp/upsampler/model.c1d --length 100 --threads 1

Layers (HiFi-GAN V1's upsamplers at half width): 512→256 k16 s8, 256→128 k16 s8, 128→64 k4 s2,
64→32 k4 s2, padding (k − s)/2, leaky ReLU between (as in HiFi-GAN; convrun fuses none into a
transposed conv, so it runs as its own pass), on 100 frames: output (32, 25600).
"""

from __future__ import annotations

import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from c1d import format as c1dformat  # noqa: E402

LAYERS = [(512, 256, 16, 8), (256, 128, 16, 8), (128, 64, 4, 2), (64, 32, 4, 2)]


def module(activations: bool) -> nn.Sequential:
    torch.manual_seed(0)
    layers = []
    for c_in, c_out, k, s in LAYERS:
        if activations:
            layers.append(nn.LeakyReLU(0.1))
        layers.append(nn.ConvTranspose1d(c_in, c_out, k, stride=s, padding=(k - s) // 2))
    return nn.Sequential(*layers).eval()


def write_c1d(m: nn.Sequential, path: str):
    nodes, tensors, value = [], {}, "input"
    for index, layer in enumerate(m):
        name = f"layer{index}"
        if isinstance(layer, nn.LeakyReLU):
            nodes.append({"name": name, "op": "leaky_relu", "inputs": [value], "outputs": [name],
                          "attributes": {"negative_slope": layer.negative_slope}})
        else:
            nodes.append({"name": name, "op": "conv_transpose1d", "inputs": [value], "outputs": [name],
                          "attributes": {"in_channels": layer.in_channels, "out_channels": layer.out_channels,
                                         "kernel_size": layer.kernel_size[0], "stride": layer.stride[0],
                                         "padding": layer.padding[0]},
                          "params": {"weight": f"{name}.weight", "bias": f"{name}.bias"}})
            tensors[f"{name}.weight"] = layer.weight.detach().numpy()
            tensors[f"{name}.bias"] = layer.bias.detach().numpy()
        value = name
    graph = {"inputs": [{"name": "input", "channels": LAYERS[0][0], "length": None, "sample_rate": None}],
             "nodes": nodes, "outputs": [value]}
    c1dformat.save(c1dformat.Model(graph=graph, tensors=tensors,
                                   metadata={"name": ("string", "upsampler")}), path)


def timed(run, iterations=30, warmup=5):
    """Median wall time, least wall time, and mean process CPU time per run (ms): on a shared machine
    wall times include waits for a core; CPU time does not."""
    for _ in range(warmup):
        run()
    times = []
    cpu = time.process_time()
    for _ in range(iterations):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    cpu = (time.process_time() - cpu) / iterations
    return statistics.median(times) * 1e3, min(times) * 1e3, cpu * 1e3


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else "/tmp/upsampler"
    frames = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    activations = "--no-activations" not in sys.argv
    os.makedirs(directory, exist_ok=True)
    torch.set_num_threads(1)
    m = module(activations)
    x = torch.randn(1, LAYERS[0][0], frames)
    write_c1d(m, os.path.join(directory, "model.c1d"))
    np.save(os.path.join(directory, "input.npy"), x.numpy())
    with torch.no_grad():
        y = m(x)
    np.save(os.path.join(directory, "expected.npy"), y.numpy())
    flops = 0
    length = frames
    for c_in, c_out, k, s in LAYERS:
        flops += 2 * c_in * c_out * k * length
        length = (length - 1) * s - (k - s) + k
    with torch.no_grad():
        median, best, cpu = timed(lambda: m(x))
    print(f"output {tuple(y.shape)}, {flops / 1e9:.2f} GFLOP")
    print(f"torch {torch.__version__} 1 thread: wall median {median:.2f} ms, best {best:.2f} ms; "
          f"CPU {cpu:.2f} ms per run ({flops / cpu / 1e6:.1f} GFLOP/s)")

    import onnxruntime as ort
    onnx_path = os.path.join(directory, "model.onnx")
    torch.onnx.export(m, (x,), onnx_path, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {2: "length"}}, dynamo=False)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
    feed = {"input": x.numpy()}
    out = session.run(None, feed)[0]
    median, best, cpu = timed(lambda: session.run(None, feed))
    error = float(np.abs(out - y.numpy()).max())
    print(f"onnxruntime {ort.__version__} 1 thread: wall median {median:.2f} ms, best {best:.2f} ms; "
          f"CPU {cpu:.2f} ms per run ({flops / cpu / 1e6:.1f} GFLOP/s), max |ORT − torch| {error:.2e}")


if __name__ == "__main__":
    main()
