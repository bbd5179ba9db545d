"""Fixtures for the ops of format 1.1, written as graphs directly (not through the exporter) with
PyTorch computing the expected output of the very same graph, node by node.

Run: python3 tools/gen_fixtures_1_1.py  (writes Fixtures/ops/v11_*/). The Swift suite runs every
Fixtures/ops/* folder at every ISA and 1 and 2 threads against expected.npy.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(os.path.dirname(HERE), "Fixtures", "ops")
sys.path.insert(0, HERE)

from c1d import format as c1dformat  # noqa: E402

DIM = {"channels": 1, "time": 2}


class GraphCase:
    """Builds a .c1d graph and evaluates each node with PyTorch as it is added."""

    def __init__(self, x: torch.Tensor, generator: torch.Generator):
        self.x = x
        self.generator = generator
        self.nodes: list[dict] = []
        self.tensors: dict[str, np.ndarray] = {}
        self.values: dict[str, torch.Tensor] = {"input": x}

    def random(self, *shape, low=-1.0, high=1.0) -> torch.Tensor:
        return torch.rand(shape, generator=self.generator) * (high - low) + low

    def node(self, op, inputs, torch_fn, attributes=None, params=None) -> str:
        name = f"{op}_{len(self.nodes)}"
        roles = {}
        for role, tensor in (params or {}).items():
            self.tensors[f"{name}.{role}"] = tensor.numpy().astype(np.float32)
            roles[role] = f"{name}.{role}"
        self.nodes.append({"name": name, "op": op, "inputs": list(inputs), "outputs": [name],
                           "attributes": attributes or {}, "params": roles})
        with torch.no_grad():
            self.values[name] = torch_fn(*[self.values[i] for i in inputs])
        return name

    def constant(self, value: torch.Tensor) -> str:
        # One sample, broadcast over the batch: PyTorch sees it with a leading batch axis of 1.
        return self.node("constant", [], lambda: value.unsqueeze(0), params={"value": value})

    def unary(self, op, x, fn, **attributes) -> str:
        return self.node(op, [x], fn, attributes)

    def binary(self, op, a, b, fn) -> str:
        return self.node(op, [a, b], fn)

    def write(self, name: str, output: str) -> None:
        directory = os.path.join(ROOT, name)
        os.makedirs(directory, exist_ok=True)
        graph = {"inputs": [{"name": "input", "channels": int(self.x.shape[1]), "length": None, "sample_rate": None}],
                 "outputs": [output], "nodes": self.nodes}
        model = c1dformat.Model(graph=graph, tensors=self.tensors,
                                metadata={"name": ("string", name), "license": ("string", "CC0-1.0")})
        c1dformat.save(model, os.path.join(directory, "model.c1d"), dtype="f32", codec="deflate")
        np.save(os.path.join(directory, "input.npy"), self.x.numpy().astype(np.float32))
        np.save(os.path.join(directory, "expected.npy"), self.values[output].numpy().astype(np.float32))
        print(f"ops/{name}: {tuple(self.x.shape)} -> {tuple(self.values[output].shape)}")


def concat(g: GraphCase, values: list[str]) -> str:
    return g.node("concat", values, lambda *xs: torch.cat(xs, dim=1))


def broadcast_binary(seed=501):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn((2, 6, 37), generator=gen)
    g = GraphCase(x, gen)
    mean = g.node("reduce", ["input"], lambda v: v.mean(dim=2, keepdim=True), {"kind": "mean", "axis": "time"})
    centred = g.binary("sub", "input", mean, torch.sub)
    scale = g.constant(g.random(6, 1, low=0.5, high=2.0))
    scaled = g.binary("mul", centred, scale, torch.mul)
    half = g.constant(torch.tensor([[0.5]]))
    shifted = g.binary("add", half, scaled, torch.add)  # the constant on the left
    row = g.constant(g.random(1, 37, low=1.0, high=2.0))
    divided = g.binary("div", shifted, row, torch.div)
    base = g.unary("abs", "input", torch.abs)
    one = g.constant(torch.tensor([[1.0]]))
    positive = g.binary("add", base, one, torch.add)
    exponent = g.constant(g.random(6, 1, low=0.5, high=2.5))
    powered = g.binary("pow", positive, exponent, torch.pow)
    floor = g.constant(g.random(6, 37, low=-0.5, high=0.5))
    high = g.binary("maximum", "input", floor, torch.maximum)
    low = g.binary("minimum", floor, "input", torch.minimum)
    # Squeeze-and-excitation: a channel gate computed from the mean over time.
    w1, w2 = g.random(3, 6, 1), g.random(6, 3, 1)
    squeeze = g.node("conv1d", [mean], lambda v: F.conv1d(v, w1),
                     {"in_channels": 6, "out_channels": 3, "kernel_size": 1, "bias": False}, {"weight": w1})
    squeeze = g.unary("relu", squeeze, torch.relu)
    excite = g.node("conv1d", [squeeze], lambda v: F.conv1d(v, w2),
                    {"in_channels": 3, "out_channels": 6, "kernel_size": 1, "bias": False}, {"weight": w2})
    gate = g.unary("sigmoid", excite, torch.sigmoid)
    excited = g.binary("mul", "input", gate, torch.mul)
    # A gate of two time-varying values of equal shape (fusable into a conv's epilogue).
    w3 = g.random(6, 6, 3)
    conv = g.node("conv1d", ["input"], lambda v: F.conv1d(v, w3, padding=1),
                  {"in_channels": 6, "out_channels": 6, "kernel_size": 3, "padding": 1, "bias": False}, {"weight": w3})
    gated = g.binary("sub", conv, "input", torch.sub)
    g.write("v11_broadcast_binary", concat(g, [divided, powered, high, low, excited, gated]))


def unary(seed=502):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn((2, 5, 41), generator=gen) * 2
    g = GraphCase(x, gen)
    a = g.unary("abs", "input", torch.abs)
    offset = g.constant(torch.tensor([[0.25]]))
    positive = g.binary("add", a, offset, torch.add)
    outs = [
        a,
        g.unary("neg", "input", torch.neg),
        g.unary("exp", g.unary("clamp", "input", lambda v: torch.clamp(v, max=3.0), max=3.0), torch.exp),
        g.unary("log", positive, torch.log),
        g.unary("sqrt", a, torch.sqrt),
        g.unary("rsqrt", positive, torch.rsqrt),
        g.unary("square", "input", torch.square),
        g.unary("reciprocal", positive, torch.reciprocal),
        g.unary("sin", "input", torch.sin),
        g.unary("cos", "input", torch.cos),
        g.unary("mish", "input", F.mish),
        g.unary("hardswish", "input", F.hardswish),
        g.unary("hardsigmoid", "input", F.hardsigmoid),
        g.unary("softplus", "input", lambda v: F.softplus(v, beta=2.0, threshold=3.0), beta=2.0, threshold=3.0),
        g.unary("softplus", "input", F.softplus),
        g.unary("clamp", "input", lambda v: F.hardtanh(v), min=-1.0, max=1.0),
        g.unary("clamp", "input", F.relu6, min=0.0, max=6.0),
        g.unary("clamp", "input", lambda v: torch.clamp(v, min=-0.3), min=-0.3),
    ]
    alpha = g.random(5, low=0.2, high=2.0)
    scale = 1.0 / (alpha + 1e-9)
    outs.append(g.node("snake", ["input"],
                       lambda v: v + (1.0 / (alpha.view(1, -1, 1) + 1e-9)) * torch.sin(alpha.view(1, -1, 1) * v).pow(2),
                       params={"alpha": alpha, "scale": scale}))
    g.write("v11_unary", concat(g, outs))


def reductions(seed=503):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn((3, 7, 29), generator=gen)
    g = GraphCase(x, gen)
    outs = []
    for kind, fn in [("mean", torch.mean), ("sum", torch.sum), ("max", torch.amax), ("min", torch.amin)]:
        r = g.node("reduce", ["input"], lambda v, fn=fn: fn(v, dim=1, keepdim=True), {"kind": kind, "axis": "channels"})
        outs.append(g.binary("sub", "input", r, torch.sub))
    for kind, correction in [("var", 1), ("std", 0), ("std", 1)]:
        fn = torch.var if kind == "var" else torch.std
        r = g.node("reduce", ["input"], lambda v, fn=fn, c=correction: fn(v, dim=2, keepdim=True, correction=c),
                   {"kind": kind, "axis": "time", "correction": correction})
        outs.append(g.binary("div", "input", r, torch.div))
    for kind, fn in [("max", torch.amax), ("sum", torch.sum)]:
        r = g.node("reduce", ["input"], lambda v, fn=fn: fn(v, dim=2, keepdim=True), {"kind": kind, "axis": "time"})
        outs.append(g.binary("mul", "input", r, torch.mul))
    outs.append(g.node("softmax", ["input"], lambda v: F.softmax(v, dim=1), {"axis": "channels"}))
    outs.append(g.node("softmax", ["input"], lambda v: F.softmax(v, dim=2), {"axis": "time"}))
    outs.append(g.node("log_softmax", ["input"], lambda v: F.log_softmax(v, dim=1), {"axis": "channels"}))
    outs.append(g.node("log_softmax", ["input"], lambda v: F.log_softmax(v, dim=2), {"axis": "time"}))
    g.write("v11_reductions_softmax", concat(g, outs))


def statistics_pooling(seed=504):
    """Attentive-statistics-style head: mean and std over time as features, then a linear layer."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn((2, 8, 50), generator=gen)
    g = GraphCase(x, gen)
    mean = g.node("reduce", ["input"], lambda v: v.mean(dim=2), {"kind": "mean", "axis": "time", "keepdim": False})
    std = g.node("reduce", ["input"], lambda v: v.std(dim=2), {"kind": "std", "axis": "time", "keepdim": False})
    both = g.binary("add", mean, std, torch.add)
    w, b = g.random(4, 8), g.random(4)
    out = g.node("linear", [both], lambda v: F.linear(v, w, b), {"in_features": 8, "out_features": 4},
                 {"weight": w, "bias": b})
    g.write("v11_statistics_pooling", out)


def shape_ops(seed=505):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn((2, 8, 33), generator=gen)
    g = GraphCase(x, gen)
    glu = g.node("glu", ["input"], lambda v: F.glu(v, dim=1))
    first = g.node("narrow", ["input"], lambda v: v.narrow(1, 0, 4), {"axis": "channels", "start": 0, "length": 4})
    second = g.node("narrow", ["input"], lambda v: v.narrow(1, 4, 4), {"axis": "channels", "start": 4, "length": 4})
    mixed = g.binary("mul", first, g.unary("tanh", second, torch.tanh), torch.mul)
    summed = g.binary("add", glu, mixed, torch.add)
    early = g.node("narrow", [summed], lambda v: v.narrow(2, 3, 20), {"axis": "time", "start": 3, "length": 20})
    joined = g.node("concat_time", [summed, early], lambda a, b: torch.cat([a, b], dim=2))
    near = g.node("upsample", [joined], lambda v: F.interpolate(v, scale_factor=2.0, mode="nearest"),
                  {"mode": "nearest", "scale_factor": 2.0})
    lin = g.node("upsample", [near], lambda v: F.interpolate(v, scale_factor=1.5, mode="linear"),
                 {"mode": "linear", "scale_factor": 1.5})
    corners = g.node("upsample", [lin], lambda v: F.interpolate(v, size=101, mode="linear", align_corners=True),
                     {"mode": "linear", "size": 101, "align_corners": True})
    sized = g.node("upsample", [corners], lambda v: F.interpolate(v, size=77, mode="nearest"),
                   {"mode": "nearest", "size": 77})
    norm = g.node("instance_norm", [sized], lambda v: F.instance_norm(v), {"num_channels": 4})
    w, b = g.random(4), g.random(4)
    affine = g.node("instance_norm", [norm], lambda v: F.instance_norm(v, weight=w, bias=b, eps=1e-3),
                    {"num_channels": 4, "eps": 1e-3, "affine": True}, {"weight": w, "bias": b})
    avg = g.node("adaptive_avg_pool1d", [affine], lambda v: F.adaptive_avg_pool1d(v, 13), {"output_size": 13})
    peak = g.node("adaptive_max_pool1d", [affine], lambda v: F.adaptive_max_pool1d(v, 13), {"output_size": 13})
    g.write("v11_shape_ops", g.binary("add", avg, peak, torch.add))


def glu_time(seed=506):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn((2, 3, 40), generator=gen)
    g = GraphCase(x, gen)
    out = g.node("glu", ["input"], lambda v: F.glu(v, dim=2), {"axis": "time"})
    g.write("v11_glu_time", g.node("adaptive_avg_pool1d", [out], lambda v: F.adaptive_avg_pool1d(v, 1), {"output_size": 1}))


CASES = [broadcast_binary, unary, reductions, statistics_pooling, shape_ops, glu_time]

if __name__ == "__main__":
    torch.manual_seed(0)
    for case in CASES:
        case()
