"""A reference interpreter of .c1d graphs written with torch, from FORMAT.md §6 and OPS-1.1.md.

It is what the exporter's check falls back on when convrun does not know an op yet: it verifies that the
exported graph means what the PyTorch module computes (the mapping), not the engine.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

_AXIS = {"channels": 1, "time": 2}


def run(model, x: torch.Tensor) -> list:
    """Runs `model` (a c1d Model) on x (N, C, L); returns the graph's outputs."""
    values = {model.graph["inputs"][0]["name"]: x.to(torch.float32)}
    params = {k: torch.as_tensor(v, dtype=torch.float32) for k, v in model.tensors.items()}
    for node in model.graph["nodes"]:
        ins = [values[name] for name in node["inputs"]]
        p = {role: params[name] for role, name in node.get("params", {}).items()}
        outs = _op(node["op"], node.get("attributes", {}), ins, p, x.shape[0])
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        for name, value in zip(node["outputs"], outs):
            values[name] = value
    return [values[name] for name in model.graph["outputs"]]


def _channel_vector(v, x):
    return v.reshape(1, -1, 1) if x.dim() == 3 else v.reshape(1, -1)


def _conv(a, x, p):
    pad, mode = a.get("padding", 0), a.get("padding_mode", "zeros")
    if mode != "zeros" and not isinstance(pad, str) and pad:
        x = F.pad(x, (pad, pad), mode=mode)
        pad = 0
    return F.conv1d(x, p["weight"], p.get("bias"), a.get("stride", 1), pad, a.get("dilation", 1), a.get("groups", 1))


def _binary(op, a, b):
    if a.dim() != b.dim():
        a, b = (a.unsqueeze(-1), b) if a.dim() < b.dim() else (a, b.unsqueeze(-1))
    return {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div, "pow": torch.pow,
            "maximum": torch.maximum, "minimum": torch.minimum}[op](a, b)


_UNARY = {
    "relu": torch.relu, "silu": F.silu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "abs": torch.abs,
    "neg": torch.neg, "exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt, "rsqrt": torch.rsqrt,
    "square": torch.square, "reciprocal": torch.reciprocal, "sin": torch.sin, "cos": torch.cos, "mish": F.mish,
    "hardswish": F.hardswish, "hardsigmoid": F.hardsigmoid,
}


def _op(op, a, ins, p, batch):  # noqa: C901 - one table of ops
    x = ins[0] if ins else None
    if op in _UNARY:
        return _UNARY[op](x)
    if op == "conv1d":
        return _conv(a, x, p)
    if op == "conv_transpose1d":
        return F.conv_transpose1d(x, p["weight"], p.get("bias"), a.get("stride", 1), a.get("padding", 0),
                                  a.get("output_padding", 0), a.get("groups", 1), a.get("dilation", 1))
    if op == "pad":
        if a.get("mode", "constant") == "constant":
            return F.pad(x, (a["left"], a["right"]), value=a.get("value", 0.0))
        return F.pad(x, (a["left"], a["right"]), mode=a["mode"])
    if op == "slice":
        return x[:, :, a.get("start", 0):a.get("stop")]
    if op == "leaky_relu":
        return F.leaky_relu(x, a.get("negative_slope", 0.01))
    if op == "prelu":
        return F.prelu(x, p["weight"])
    if op == "elu":
        return F.elu(x, a.get("alpha", 1.0))
    if op == "gelu":
        return F.gelu(x, approximate=a.get("approximate", "none"))
    if op == "clamp":
        return torch.clamp(x, a.get("min"), a.get("max"))
    if op == "softplus":
        return F.softplus(x, a.get("beta", 1.0), a.get("threshold", 20.0))
    if op == "snake":
        alpha, scale = _channel_vector(p["alpha"], x), _channel_vector(p["scale"], x)
        return x + scale * torch.sin(alpha * x) ** 2
    if op in ("add", "sub", "mul", "div", "pow", "maximum", "minimum"):
        return _binary(op, ins[0], ins[1])
    if op == "constant":
        return p["value"].unsqueeze(0)
    if op == "concat":
        return torch.cat(ins, 1)
    if op == "concat_time":
        return torch.cat(ins, 2)
    if op == "narrow":
        return torch.narrow(x, _AXIS[a["axis"]] if x.dim() == 3 else 1, a["start"], a["length"])
    if op == "batch_norm":
        return F.batch_norm(x, p["running_mean"], p["running_var"], p.get("weight"), p.get("bias"), False, 0.0,
                            a.get("eps", 1e-5))
    if op == "group_norm":
        return F.group_norm(x, a["num_groups"], p.get("weight"), p.get("bias"), a.get("eps", 1e-5))
    if op == "layer_norm":
        y = F.layer_norm(x.transpose(1, 2), (a["num_channels"],), p.get("weight"), p.get("bias"), a.get("eps", 1e-5))
        return y.transpose(1, 2)
    if op == "instance_norm":
        return F.instance_norm(x, weight=p.get("weight"), bias=p.get("bias"), eps=a.get("eps", 1e-5))
    if op == "max_pool1d":
        return F.max_pool1d(x, a["kernel_size"], a.get("stride") or a["kernel_size"], a.get("padding", 0),
                            a.get("dilation", 1), a.get("ceil_mode", False))
    if op == "avg_pool1d":
        return F.avg_pool1d(x, a["kernel_size"], a.get("stride") or a["kernel_size"], a.get("padding", 0),
                            a.get("ceil_mode", False), a.get("count_include_pad", True))
    if op == "global_avg_pool1d":
        return x.mean(2, keepdim=True)
    if op == "adaptive_avg_pool1d":
        return F.adaptive_avg_pool1d(x, a["output_size"])
    if op == "adaptive_max_pool1d":
        return F.adaptive_max_pool1d(x, a["output_size"])
    if op == "flatten":
        return x.reshape(batch, -1)
    if op == "linear":
        return F.linear(x, p["weight"], p.get("bias"))
    if op == "reduce":
        return _reduce(a, x)
    if op == "softmax":
        return torch.softmax(x, _AXIS[a["axis"]] if x.dim() == 3 else 1)
    if op == "log_softmax":
        return torch.log_softmax(x, _AXIS[a["axis"]] if x.dim() == 3 else 1)
    if op == "glu":
        return F.glu(x, _AXIS[a.get("axis", "channels")])
    if op == "upsample":
        kwargs = {"size": a.get("size")} if a.get("size") is not None else {"scale_factor": a["scale_factor"]}
        if a.get("mode", "nearest") == "linear":
            kwargs["align_corners"] = a.get("align_corners", False)
        return F.interpolate(x, mode=a.get("mode", "nearest"), **kwargs)
    raise ValueError(f"reference interpreter: unknown op {op!r}")


def _reduce(a, x):
    dim = _AXIS[a["axis"]] if x.dim() == 3 else 1
    keep = a.get("keepdim", True)
    kind = a["kind"]
    if kind in ("var", "std"):
        fn = torch.var if kind == "var" else torch.std
        return fn(x, dim, correction=a.get("correction", 1), keepdim=keep)
    if kind in ("max", "min"):
        return (torch.amax if kind == "max" else torch.amin)(x, dim, keepdim=keep)
    return (torch.mean if kind == "mean" else torch.sum)(x, dim, keepdim=keep)
