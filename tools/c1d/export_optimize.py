"""Peephole rewrites of an exported .c1d graph that keep its meaning and make it smaller and faster."""

from __future__ import annotations

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
