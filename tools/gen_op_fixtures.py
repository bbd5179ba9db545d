#!/usr/bin/env python3
"""Writes Fixtures/ops/<case>/{model.c1d, input.npy, expected.npy} for single ops and short stacks.

Unlike tools/gen_fixtures.py this does not go through the exporter: each case is a graph written with
c1d.format directly, and the expected output is computed with torch.nn.functional, so an op's fixtures
hold its kernel to PyTorch whatever state the exporter is in. One function per op family:

    python3 tools/gen_op_fixtures.py                  # every family
    python3 tools/gen_op_fixtures.py conv_transpose   # one family

Deterministic (fixed seeds, one thread): re-running rewrites the same bytes.
"""

from __future__ import annotations

import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from c1d import format as c1dformat  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures", "ops")
torch.set_num_threads(1)


def write_graph_case(directory, graph, tensors, x, y, description=""):
    """Saves `graph` (FORMAT.md §4.2: inputs, nodes, outputs) with its float32 `tensors` as model.c1d,
    and `x`, PyTorch's `y` as input.npy, expected.npy."""
    os.makedirs(directory, exist_ok=True)
    metadata = {"name": ("string", os.path.basename(os.path.normpath(directory))),
                "description": ("string", description),
                "producer": ("string", "tools/gen_op_fixtures.py"),
                "license": ("string", "CC0-1.0")}
    arrays = {name: np.ascontiguousarray(t.detach().numpy(), dtype="<f4") for name, t in tensors.items()}
    model = c1dformat.Model(graph=graph, tensors=arrays, metadata=metadata)
    c1dformat.save(model, os.path.join(directory, "model.c1d"))
    np.save(os.path.join(directory, "input.npy"), np.ascontiguousarray(x.numpy(), dtype="<f4"))
    np.save(os.path.join(directory, "expected.npy"), np.ascontiguousarray(y.numpy(), dtype="<f4"))


def chain_case(name, x, layers, seed, description=""):
    """A chain of conv1d / conv_transpose1d layers, each `(op, attributes)`, run on `x` with PyTorch's
    functional ops and written as one graph. Weights are drawn with PyTorch's default init bounds."""
    generator = torch.Generator().manual_seed(seed)
    nodes, tensors, value, y = [], {}, "input", x
    for index, (op, a) in enumerate(layers):
        node = f"{op}_{index}"
        c_in, c_out, k, groups = a["in_channels"], a["out_channels"], a["kernel_size"], a.get("groups", 1)
        shape = (c_in, c_out // groups, k) if op == "conv_transpose1d" else (c_out, c_in // groups, k)
        bound = 1 / math.sqrt(shape[1] * k)
        weight = (torch.rand(shape, generator=generator) * 2 - 1) * bound
        bias = (torch.rand(c_out, generator=generator) * 2 - 1) * bound if a.get("bias", True) else None
        params = {"weight": f"{node}.weight"}
        tensors[f"{node}.weight"] = weight
        if bias is not None:
            params["bias"] = f"{node}.bias"
            tensors[f"{node}.bias"] = bias
        with torch.no_grad():
            if op == "conv_transpose1d":
                y = F.conv_transpose1d(y, weight, bias, stride=a.get("stride", 1), padding=a.get("padding", 0),
                                       output_padding=a.get("output_padding", 0), groups=groups,
                                       dilation=a.get("dilation", 1))
            else:
                y = F.conv1d(y, weight, bias, stride=a.get("stride", 1), padding=a.get("padding", 0),
                             dilation=a.get("dilation", 1), groups=groups)
        nodes.append({"name": node, "op": op, "inputs": [value], "outputs": [node], "attributes": dict(a),
                      "params": params})
        value = node
    graph = {"inputs": [{"name": "input", "channels": x.shape[1], "length": None, "sample_rate": None}],
             "nodes": nodes, "outputs": [value]}
    write_graph_case(os.path.join(ROOT, name), graph, tensors, x, y, description)
    print(f"ops/{name}: {tuple(x.shape)} -> {tuple(y.shape)}")


def ct(c_in, c_out, k, **options):
    return ("conv_transpose1d", {"in_channels": c_in, "out_channels": c_out, "kernel_size": k, **options})


def conv(c_in, c_out, k, **options):
    return ("conv1d", {"in_channels": c_in, "out_channels": c_out, "kernel_size": k, **options})


def conv_transpose_fixtures():
    """conv_transpose1d: strides 1-5, kernels shorter and longer than the stride, padding 0 / > 0 / ≥ k,
    output_padding, dilation, groups and depthwise, no bias, odd lengths, batch 2, inputs long enough for
    several GEMM tiles per phase, HiFi-GAN / EnCodec upsamplers (k = 2·stride, padding = (k − stride)/2),
    and a conv → conv_transpose → conv stack."""
    g = torch.Generator().manual_seed(1101)

    def x(batch, channels, length):
        return torch.randn(batch, channels, length, generator=g)

    cases = [
        ("conv_transpose_stride1", x(2, 6, 41), [ct(6, 5, 3, padding=1), ct(5, 4, 5)],
         "stride 1: a plain convolution; padding 1, then none"),
        ("conv_transpose_stride2", x(2, 6, 37), [ct(6, 8, 4, stride=2, padding=1), ct(8, 3, 3, stride=2, output_padding=1)],
         "stride 2: k4 p1, then k3 with output_padding 1"),
        ("conv_transpose_stride3", x(1, 5, 29), [ct(5, 7, 5, stride=3, padding=1, output_padding=2)],
         "stride 3, k5 p1 output_padding 2"),
        ("conv_transpose_short_kernel", x(2, 4, 19), [ct(4, 6, 2, stride=4), ct(6, 3, 1, stride=3, padding=1)],
         "kernel shorter than the stride: phases of bias only"),
        ("conv_transpose_stride5", x(2, 6, 23), [ct(6, 4, 11, stride=5, padding=3, output_padding=4)],
         "stride 5, k11 p3 output_padding 4"),
        ("conv_transpose_padding_ge_kernel", x(1, 4, 31), [ct(4, 5, 3, stride=2, padding=4, output_padding=1),
                                                           ct(5, 3, 4, stride=3, padding=4)],
         "padding ≥ kernel: PyTorch crops the scatter past the kernel's reach"),
        ("conv_transpose_dilation", x(2, 4, 25), [ct(4, 6, 3, stride=2, padding=1, output_padding=1, dilation=2),
                                                  ct(6, 4, 4, stride=3, padding=2, dilation=3),
                                                  ct(4, 3, 3, padding=1, output_padding=2, dilation=3)],
         "dilation 2 and 3: gcd(dilation, stride) > 1 empties phases; output_padding < dilation at stride 1"),
        ("conv_transpose_groups", x(2, 8, 27), [ct(8, 12, 4, stride=2, padding=1, groups=4),
                                                ct(12, 12, 3, stride=3, groups=12, bias=False),
                                                ct(12, 24, 5, stride=2, padding=2, output_padding=1, groups=12)],
         "groups 4, depthwise without bias, depthwise with a multiplier of 2"),
        ("conv_transpose_long", x(1, 32, 300), [ct(32, 16, 6, stride=2, padding=2), ct(16, 16, 8, stride=4, padding=2)],
         "long inputs: several GEMM tiles per phase; three taps per phase (the k3 output-pair path)"),
        ("conv_transpose_hifigan", x(1, 64, 50), [ct(64, 32, 16, stride=8, padding=4), ct(32, 16, 4, stride=2, padding=1)],
         "HiFi-GAN's upsamplers: k = 2·stride, padding = (k − stride)/2"),
        ("conv_transpose_encodec", x(2, 32, 33), [ct(32, 16, 8, stride=4, padding=2), ct(16, 8, 10, stride=5, padding=3, bias=False)],
         "EnCodec-like: k = 2·stride, padding (k − stride)/2 (rounded up at an odd stride)"),
        ("conv_transpose_stack", x(2, 4, 45), [conv(4, 16, 3, padding=1), ct(16, 8, 4, stride=2, padding=1),
                                               conv(8, 3, 7, padding=3)],
         "conv1d → conv_transpose1d → conv1d"),
    ]
    for seed, (name, inputs, layers, description) in enumerate(cases):
        chain_case(name, inputs, layers, seed=seed, description=description)


FAMILIES = {"conv_transpose": conv_transpose_fixtures}

if __name__ == "__main__":
    chosen = sys.argv[1:] or list(FAMILIES)
    for family in chosen:
        FAMILIES[family]()
