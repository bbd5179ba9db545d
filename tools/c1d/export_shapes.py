"""Per-sample shapes of a .c1d graph, by the rules of FORMAT.md §6 and OPS-1.1.md.

The exporter uses this to check the file it writes against PyTorch's own shapes on the example,
independently of how each node was produced.
"""

from __future__ import annotations

import math


class ShapeError(ValueError):
    pass


def _conv_out(length, k, stride, pad_left, pad_right, dilation):
    return (length + pad_left + pad_right - dilation * (k - 1) - 1) // stride + 1


def _pool_out(length, k, stride, padding, dilation, ceil_mode):
    span = dilation * (k - 1) + 1
    if ceil_mode:
        out = -(-(length + 2 * padding - span) // stride) + 1
        if (out - 1) * stride >= length + padding:
            out -= 1
        return out
    return (length + 2 * padding - span) // stride + 1


def _broadcast(node, a, b):
    if len(a) != len(b):
        raise ShapeError(f"node {node['name']!r}: broadcast of {a} with {b}")
    out = []
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            raise ShapeError(f"node {node['name']!r}: shapes {a} and {b} do not broadcast")
        out.append(max(x, y))
    return tuple(out)


def _seq(node, shape):
    if len(shape) != 2:
        raise ShapeError(f"node {node['name']!r} ({node['op']}) needs a sequence (C, L), got {shape}")
    return shape


def infer(graph: dict, tensors: dict, length: int) -> dict:
    """Every value's per-sample shape for an input of `length` samples."""
    shapes = {i["name"]: (i["channels"], length) for i in graph["inputs"]}
    for node in graph["nodes"]:
        ins = [shapes[name] for name in node["inputs"]]
        outs = _node(node, ins, tensors)
        for name, shape in zip(node["outputs"], outs):
            if any(d < 1 for d in shape):
                raise ShapeError(f"node {node['name']!r} ({node['op']}): empty output {shape}")
            shapes[name] = tuple(shape)
    return shapes


def _node(node, ins, tensors):
    op, a = node["op"], node.get("attributes", {})
    x = ins[0] if ins else None
    if op == "conv1d":
        c, length = _seq(node, x)
        if c != a["in_channels"]:
            raise ShapeError(f"node {node['name']!r}: conv1d expects {a['in_channels']} channels, gets {c}")
        k, d, s = a["kernel_size"], a.get("dilation", 1), a.get("stride", 1)
        p = a.get("padding", 0)
        if p == "valid":
            pl = pr = 0
        elif p == "same":
            e = d * (k - 1)
            pl, pr = e // 2, e - e // 2
        else:
            pl = pr = p
        return [(a["out_channels"], _conv_out(length, k, s, pl, pr, d))]
    if op == "conv_transpose1d":
        c, length = _seq(node, x)
        if c != a["in_channels"]:
            raise ShapeError(f"node {node['name']!r}: conv_transpose1d expects {a['in_channels']} channels, gets {c}")
        out = ((length - 1) * a.get("stride", 1) - 2 * a.get("padding", 0) + a.get("dilation", 1) *
               (a["kernel_size"] - 1) + a.get("output_padding", 0) + 1)
        return [(a["out_channels"], out)]
    if op == "pad":
        c, length = _seq(node, x)
        return [(c, length + a["left"] + a["right"])]
    if op == "slice":
        c, length = _seq(node, x)
        start, stop, _ = slice(a.get("start", 0), a.get("stop"), 1).indices(length)
        return [(c, max(stop - start, 0))]
    if op in ("max_pool1d", "avg_pool1d"):
        c, length = _seq(node, x)
        k = a["kernel_size"]
        stride = a.get("stride") or k
        return [(c, _pool_out(length, k, stride, a.get("padding", 0), a.get("dilation", 1), a.get("ceil_mode")))]
    if op == "global_avg_pool1d":
        return [(_seq(node, x)[0], 1)]
    if op in ("adaptive_avg_pool1d", "adaptive_max_pool1d"):
        return [(_seq(node, x)[0], a["output_size"])]
    if op == "flatten":
        return [(math.prod(x),)]
    if op == "linear":
        if len(x) != 1 or x[0] != a["in_features"]:
            raise ShapeError(f"node {node['name']!r}: linear expects ({a['in_features']},) features, gets {x}")
        return [(a["out_features"],)]
    if op in ("add", "sub", "mul", "div", "pow", "maximum", "minimum"):
        return [_broadcast(node, ins[0], ins[1])]
    if op == "constant":
        return [tuple(tensors[node["params"]["value"]].shape)]
    if op in ("concat", "concat_time"):
        axis = 0 if op == "concat" else 1
        other = 1 - axis
        if any(len(s) != 2 or s[other] != x[other] for s in ins):
            raise ShapeError(f"node {node['name']!r}: {op} of mismatched shapes {ins}")
        out = list(x)
        out[axis] = sum(s[axis] for s in ins)
        return [tuple(out)]
    if op == "narrow":
        axis = 0 if a["axis"] == "channels" else 1
        if a["start"] + a["length"] > x[axis]:
            raise ShapeError(f"node {node['name']!r}: narrow [{a['start']}, +{a['length']}) of an axis of {x[axis]}")
        shape = list(x)
        shape[axis] = a["length"]
        return [tuple(shape)]
    if op == "reduce":
        axis = 0 if a["axis"] == "channels" else 1
        if not a.get("keepdim", True):
            return [(x[0],)]
        shape = list(x)
        shape[axis] = 1
        return [tuple(shape)]
    if op == "glu":
        axis = 0 if a.get("axis", "channels") == "channels" else 1
        shape = list(x)
        if shape[axis] % 2:
            raise ShapeError(f"node {node['name']!r}: glu over an odd axis of {shape[axis]}")
        shape[axis] //= 2
        return [tuple(shape)]
    if op == "upsample":
        c, length = _seq(node, x)
        out = a["size"] if a.get("size") is not None else int(math.floor(length * a["scale_factor"]))
        return [(c, out)]
    if op in ("batch_norm", "group_norm", "layer_norm", "instance_norm"):
        key = {"batch_norm": "num_features"}.get(op, "num_channels")
        if x[0] != a[key]:
            raise ShapeError(f"node {node['name']!r}: {op} of {a[key]} channels gets {x[0]}")
        return [x]
    if op == "prelu":
        if a.get("num_parameters", 1) not in (1, x[0]):
            raise ShapeError(f"node {node['name']!r}: prelu of {a['num_parameters']} parameters gets {x[0]} channels")
        return [x]
    return [x]  # elementwise ops keep their shape
