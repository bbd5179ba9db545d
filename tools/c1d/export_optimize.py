"""Peephole rewrites of an exported .c1d graph that keep its meaning and make it smaller and faster."""

from __future__ import annotations

import numpy as np

_PAD_MODES = {"constant": "zeros", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


def _consumers(nodes, outputs):
    count = {}
    for node in nodes:
        for name in node["inputs"]:
            count[name] = count.get(name, 0) + 1
    for name in outputs:
        count[name] = count.get(name, 0) + 1
    return count


def fuse_pad_into_conv(nodes, outputs):
    """pad(left == right) feeding only a conv1d with padding 0 becomes that conv's padding and padding_mode
    (how nn.Conv1d itself pads for non-zero padding modes), so the engine reads padding by index mapping
    instead of materialising a padded copy."""
    count = _consumers(nodes, outputs)
    pads = {n["outputs"][0]: n for n in nodes if n["op"] == "pad"}
    dropped = set()
    for node in nodes:
        if node["op"] != "conv1d" or node["inputs"][0] not in pads:
            continue
        pad, attrs = pads[node["inputs"][0]], node["attributes"]
        p = pad["attributes"]
        if (count[pad["outputs"][0]] != 1 or p["left"] != p["right"] or attrs.get("padding", 0) != 0
                or attrs.get("padding_mode", "zeros") != "zeros"
                or (p["mode"] == "constant" and float(p.get("value", 0.0)) != 0.0)):
            continue
        attrs["padding"] = p["left"]
        attrs["padding_mode"] = _PAD_MODES[p["mode"]]
        node["inputs"] = list(pad["inputs"])
        dropped.add(pad["name"])
    return [n for n in nodes if n["name"] not in dropped]


def _producers(nodes):
    return {out: n for n in nodes for out in n["outputs"]}


def _constant_vector(node, tensors):
    """The (C) values of a `constant` node of shape (C, 1), else None."""
    if node is None or node["op"] != "constant":
        return None
    value = tensors[node["params"]["value"]]
    return value[:, 0] if value.ndim == 2 and value.shape[1] == 1 else None


def _split_const(node, producers, tensors):
    """For a binary node with one `constant` (C, 1) operand: (constant node, its values, the other input)."""
    if len(node["inputs"]) != 2:
        return None
    for i in (0, 1):
        const = producers.get(node["inputs"][i])
        values = _constant_vector(const, tensors)
        if values is not None:
            return const, values, node["inputs"][1 - i]
    return None


def fuse_snake(nodes, outputs, tensors, channels):
    """x + scale·sin²(alpha·x) (Snake, as DAC and BigVGAN write it, 1/alpha already folded) becomes one
    `snake` node: one pass over the data instead of five."""
    count = _consumers(nodes, outputs)
    producers = _producers(nodes)
    replaced, dropped = {}, set()
    for add in nodes:
        if add["op"] != "add" or len(add["inputs"]) != 2:
            continue
        for xi in (0, 1):
            x, m_name = add["inputs"][xi], add["inputs"][1 - xi]
            match = _match_snake(x, m_name, producers, tensors, count)
            if match is None:
                continue
            chain, alpha, scale = match
            c = channels(x)
            # A factor of one (alpha or 1/alpha rounding to 1.0) was dropped as neutral at export.
            alpha = np.ones(c, np.float32) if alpha is None else np.broadcast_to(alpha, (c,))
            scale = np.ones(c, np.float32) if scale is None else np.broadcast_to(scale, (c,))
            replaced[add["name"]] = {"name": add["name"], "op": "snake", "inputs": [x], "outputs": add["outputs"],
                                     "attributes": {}, "params": {"alpha": add["name"] + ".alpha",
                                                                  "scale": add["name"] + ".scale"}}
            tensors[add["name"] + ".alpha"] = np.array(alpha, np.float32)
            tensors[add["name"] + ".scale"] = np.array(scale, np.float32)
            dropped.update(n["name"] for n in chain)
            break
    kept = []
    for n in nodes:
        if n["name"] in dropped:
            continue
        kept.append(replaced.get(n["name"], n))
    used = {t for n in kept for t in n.get("params", {}).values()}
    for name in list(tensors):
        if name not in used:
            del tensors[name]
    return kept


def _match_snake(x, m_name, producers, tensors, count):
    """x + scale·sin²(alpha·x) ending in `m_name`; scale or alpha None where the factor is absent."""
    m = producers.get(m_name)
    if m is None or count.get(m_name) != 1:
        return None
    chain, scale, q = [], None, m
    if m["op"] == "mul":
        side = _split_const(m, producers, tensors)
        if side is None:
            return None
        scale_const, scale, q_name = side
        chain += [m] + ([scale_const] if count.get(scale_const["outputs"][0]) == 1 else [])
        q = producers.get(q_name)
        if q is None or count.get(q_name) != 1:
            return None
    if q["op"] != "square":
        return None
    s = producers.get(q["inputs"][0])
    if s is None or s["op"] != "sin" or count.get(s["outputs"][0]) != 1:
        return None
    chain += [q, s]
    alpha = None
    if s["inputs"][0] != x:
        t = producers.get(s["inputs"][0])
        if t is None or t["op"] != "mul" or count.get(t["outputs"][0]) != 1:
            return None
        side = _split_const(t, producers, tensors)
        if side is None or side[2] != x:
            return None
        alpha_const, alpha, _ = side
        chain += [t] + ([alpha_const] if count.get(alpha_const["outputs"][0]) == 1 else [])
    return chain, alpha, scale


def drop_dead_nodes(nodes, outputs, tensors):
    """Nodes whose results nothing reads (left behind when a pattern became one node), and their tensors."""
    while True:
        count = _consumers(nodes, outputs)
        live = [n for n in nodes if any(count.get(o, 0) for o in n["outputs"])]
        if len(live) == len(nodes):
            break
        nodes = live
    used = {t for n in nodes for t in n.get("params", {}).values()}
    for name in list(tensors):
        if name not in used:
            del tensors[name]
    return nodes


_AFFINE_NORMS = {"group_norm", "layer_norm", "instance_norm"}


def fuse_norm_affine(nodes, outputs, tensors):
    """A norm without affine followed by `· gamma (C, 1)` and optionally `+ beta (C, 1)` (how hand-written
    global/channel layer norms scale) takes gamma and beta as its own weight and bias."""
    count = _consumers(nodes, outputs)
    producers = _producers(nodes)
    readers = {}
    for n in nodes:
        for name in n["inputs"]:
            readers.setdefault(name, []).append(n)
    dropped = set()
    for norm in nodes:
        if norm["op"] not in _AFFINE_NORMS or norm["attributes"].get("affine") or count.get(norm["outputs"][0]) != 1:
            continue
        mul = readers.get(norm["outputs"][0], [None])[0]
        if mul is None or mul["op"] != "mul":
            continue
        side = _split_const(mul, producers, tensors)
        c = norm["attributes"]["num_channels"]
        if side is None or side[2] != norm["outputs"][0] or len(side[1]) != c:
            continue
        gamma, beta, last = side[1], None, mul
        add = readers.get(mul["outputs"][0], [None])[0] if count.get(mul["outputs"][0]) == 1 else None
        if add is not None and add["op"] == "add":
            bias_side = _split_const(add, producers, tensors)
            if bias_side is not None and bias_side[2] == mul["outputs"][0] and len(bias_side[1]) == c:
                beta, last = bias_side[1], add
        norm["attributes"]["affine"] = True
        norm["params"] = {"weight": norm["name"] + ".weight", "bias": norm["name"] + ".bias"}
        tensors[norm["name"] + ".weight"] = gamma.copy()
        tensors[norm["name"] + ".bias"] = beta.copy() if beta is not None else gamma * 0
        dropped.update({mul["name"], last["name"]})
        # The norm takes over the value name of the last op it absorbed: its readers stay as they are.
        norm["outputs"] = list(last["outputs"])
    return drop_dead_nodes([n for n in nodes if n["name"] not in dropped], outputs, tensors)
