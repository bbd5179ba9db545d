#!/usr/bin/env python3
"""Writes Fixtures/malformed/: hostile .c1d files and the exact error each must produce.

Each file breaks one rule of schema/FORMAT.md; checksums are recomputed wherever the file targets
something behind them. `expected.json` maps file name to the loader's error message (Swift's
`C1DError.description`) and to the layer that catches it ("container": also the Python reader).
Deterministic; numpy only:  python3 tools/gen_malformed.py
"""

from __future__ import annotations

import copy
import json
import os
import struct
import sys
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from c1d import format as f  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures")
OUT = os.path.join(ROOT, "malformed")


def assemble(header: dict, blobs: list[bytes], *, layout=True, major=1, minor=0) -> bytes:
    """A file from a header and the stored bytes of its tensors, in table order. With `layout`, offsets
    and sizes are set as a writer would; otherwise the header's own values are kept."""
    header = copy.deepcopy(header)
    data_start = 0
    while True:
        if layout:
            offset = data_start
            for entry, blob in zip(header["tensors"], blobs):
                entry["offset"] = offset
                entry["stored_size"] = len(blob)
                offset = f._align(offset + len(blob))
        text = f.canonical_json(header)
        needed = f._align(32 + len(text))
        if needed <= data_start:
            break
        data_start = needed
    return preamble(text, major=major, minor=minor) + text + lay_out(header, blobs, 32 + len(text))


def preamble(text: bytes, *, major=1, minor=0, size=None) -> bytes:
    head = f.MAGIC + struct.pack("<HHIQI", major, minor, 0, len(text) if size is None else size, zlib.crc32(text))
    return head + struct.pack("<I", zlib.crc32(head))


def lay_out(header, blobs, position) -> bytes:
    out = bytearray()
    for entry, blob in sorted(zip(header["tensors"], blobs), key=lambda p: p[0]["offset"]):
        gap = entry["offset"] - (position + len(out))
        if gap > 0:
            out += bytes(gap)
        elif gap < 0:  # overlapping on purpose: write over the previous blob's tail
            del out[len(out) + gap:]
        out += blob
    return bytes(out)


def base_model():
    """A two-conv model: conv a (4 -> 5, k3), conv b (5 -> 6, k3); f32, codec none."""
    rng = np.random.default_rng(7)
    graph = {"inputs": [{"name": "input", "channels": 4, "length": None, "sample_rate": None}],
             "outputs": ["b"],
             "nodes": [
                 {"name": "a", "op": "conv1d", "inputs": ["input"], "outputs": ["a"],
                  "attributes": {"in_channels": 4, "out_channels": 5, "kernel_size": 3},
                  "params": {"weight": "a.weight", "bias": "a.bias"}},
                 {"name": "b", "op": "conv1d", "inputs": ["a"], "outputs": ["b"],
                  "attributes": {"in_channels": 5, "out_channels": 6, "kernel_size": 3},
                  "params": {"weight": "b.weight", "bias": "b.bias"}}]}
    tensors = {"a.weight": rng.standard_normal((5, 4, 3)), "a.bias": rng.standard_normal(5),
               "b.weight": rng.standard_normal((6, 5, 3)), "b.bias": rng.standard_normal(6)}
    metadata = {"name": ("string", "malformed-base"), "description": ("string", ""),
                "producer": ("string", "tools/gen_malformed.py"), "license": ("string", "CC0-1.0")}
    return f.Model(graph=graph, tensors=tensors, metadata=metadata)


def parts(model, codec="none"):
    data = f.dumps(model, codec=codec)
    size = struct.unpack_from("<Q", data, 16)[0]
    header = json.loads(data[32:32 + size])
    blobs = [data[t["offset"]: t["offset"] + t["stored_size"]] for t in header["tensors"]]
    return data, header, blobs


def crc_hex(value: int) -> str:
    return f"0x{value:08x}"


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        # fuzz/ holds the fuzzers' crash regressions, kept across regenerations.
        if os.path.isfile(os.path.join(OUT, name)):
            os.unlink(os.path.join(OUT, name))
    cases: dict[str, tuple[str, bytes, str]] = {}

    def case(name, data, message, layer="container"):
        cases[name] = (layer, data, message)

    model = base_model()
    good, header, blobs = parts(model)
    header_size = struct.unpack_from("<Q", good, 16)[0]
    names = [t["name"] for t in header["tensors"]]
    index = {n: i for i, n in enumerate(names)}

    # --- preamble -------------------------------------------------------------------------------
    case("empty.c1d", b"", "not a c1d file: expected magic 89 43 31 44 0d 0a 1a 0a, found an empty file")
    case("zip_magic.c1d", b"PK\x03\x04" + good[4:],
         "not a c1d file: expected magic 89 43 31 44 0d 0a 1a 0a, found 50 4b 03 04 0d 0a 1a 0a")
    case("truncated_preamble.c1d", good[:20], "file truncated: preamble needs 32 bytes, only 20 present")
    text = good[32:32 + header_size]
    case("major_version_2.c1d", preamble(text, major=2) + good[32:],
         "unsupported c1d version 2.0: this reader implements major version 1")
    flipped = bytearray(good)
    flipped[12] ^= 0xFF
    stored = struct.unpack_from("<I", good, 28)[0]
    case("preamble_crc.c1d", bytes(flipped),
         f"CRC-32 mismatch in preamble: stored {crc_hex(stored)}, computed {crc_hex(zlib.crc32(bytes(flipped[:28])))}")
    case("header_size_huge.c1d", preamble(text, size=1 << 40) + good[32:],
         "header size is 1099511627776, above the loader's limit of 16777216")
    case("truncated_header.c1d", good[:32 + header_size // 2],
         f"file truncated: header needs {32 + header_size} bytes, only {32 + header_size // 2} present")

    # --- header bytes ---------------------------------------------------------------------------
    corrupt = bytearray(good)
    corrupt[40] ^= 0x01
    case("header_crc.c1d", bytes(corrupt),
         f"CRC-32 mismatch in header: stored {crc_hex(zlib.crc32(text))}, computed {crc_hex(zlib.crc32(bytes(corrupt[32:32 + header_size])))}")
    for name, body, message in [
        ("json_truncated.c1d", b'{"graph":', "malformed header: unexpected end of JSON at byte 9 of the header"),
        ("json_deep.c1d", b"[" * 100 + b"]" * 100, "malformed header: nesting deeper than 32 at byte 33 of the header"),
        ("json_duplicate_key.c1d", b'{"graph":{},"graph":{}}',
         'malformed header: duplicate key "graph" at byte 22 of the header'),
        ("json_not_object.c1d", b"[]", "metadata: expected a value, got nothing (missing)"),
        ("json_bad_utf8.c1d", b'{"a\xff":1}', "malformed header: invalid UTF-8 in a string at byte 4 of the header"),
    ]:
        layer = "container"
        if name == "json_not_object.c1d":
            message = "header: expected an object, got array"
        case(name, preamble(body) + body, message, layer)

    # --- tensor table ---------------------------------------------------------------------------
    h = copy.deepcopy(header)
    t = h["tensors"][index["a.weight"]]
    t["crc32"] ^= 0xDEADBEEF
    case("tensor_crc.c1d", assemble(h, blobs),
         f"CRC-32 mismatch in tensor 'a.weight': stored {crc_hex(t['crc32'])}, computed {crc_hex(zlib.crc32(blobs[index['a.weight']]))}")

    data = assemble(header, blobs)
    h = json.loads(data[32:32 + struct.unpack_from("<Q", data, 16)[0]])
    last = h["tensors"][-1]
    last["offset"] += 4096
    case("tensor_outside_file.c1d", assemble(h, blobs, layout=False)[: len(data)],
         "")  # message filled below: needs the file size
    file = cases["tensor_outside_file.c1d"][1]
    cases["tensor_outside_file.c1d"] = ("container", file,
        f"tensor '{last['name']}': bytes [{last['offset']}, {last['offset'] + last['stored_size']}) lie outside the data section of a {len(file)}-byte file")

    h = json.loads(data[32:32 + struct.unpack_from("<Q", data, 16)[0]])
    h["tensors"][1]["offset"] += 4
    misaligned = assemble(h, blobs, layout=False)
    case("tensor_misaligned.c1d", misaligned, f"tensor '{names[1]}': offset {h['tensors'][1]['offset']} is not a multiple of 64")

    h = json.loads(data[32:32 + struct.unpack_from("<Q", data, 16)[0]])
    h["tensors"][1]["offset"] = h["tensors"][0]["offset"]
    case("tensors_overlap.c1d", assemble(h, blobs, layout=False), f"tensors '{names[0]}' and '{names[1]}' overlap in the file"
         if names[0] < names[1] else f"tensors '{names[1]}' and '{names[0]}' overlap in the file")

    h = copy.deepcopy(header)
    h["tensors"][index["a.bias"]]["raw_size"] = 24
    case("raw_size_lies.c1d", assemble(h, blobs), "tensor 'a.bias': raw_size is 24, but dtype size × product(shape) is 20")

    h = copy.deepcopy(header)
    h["tensors"][index["a.bias"]]["shape"] = [1 << 40]
    case("shape_dimension_huge.c1d", assemble(h, blobs),
         "tensor 'a.bias'.shape[0]: expected an integer from 0 to 2147483648, got 1099511627776")

    h = copy.deepcopy(header)
    h["tensors"][index["a.bias"]]["shape"] = [1 << 31, 1 << 31, 1 << 31]
    case("shape_product_overflow.c1d", assemble(h, blobs),
         "tensor 'a.bias' size in bytes is 9223372036854775807, above the loader's limit of 8589934592")

    h = copy.deepcopy(header)
    h["tensors"][index["a.bias"]]["dtype"] = "f64"
    case("unknown_dtype.c1d", assemble(h, blobs), "tensor 'a.bias'.dtype: unknown value 'f64', expected one of 'f32', 'f16', 'bf16'")

    h = copy.deepcopy(header)
    h["tensors"][index["a.bias"]]["codec"] = "lz4"
    case("unknown_codec.c1d", assemble(h, blobs),
         "tensor 'a.bias'.codec: unknown value 'lz4', expected one of 'none', 'deflate', 'shuffle-deflate'")

    # --- compressed data ------------------------------------------------------------------------
    _, dheader, dblobs = parts(model, codec="deflate")
    di = {t["name"]: i for i, t in enumerate(dheader["tensors"])}
    bias = di["a.bias"]

    h, b = copy.deepcopy(dheader), list(dblobs)
    b[bias] = zlib.compress(bytes(1 << 20), 9)  # inflates to 1 MiB, declared 20 bytes
    h["tensors"][bias]["crc32"] = 0
    case("zip_bomb.c1d", assemble(h, b), "tensor 'a.bias': inflates to more than the declared raw_size of 20 bytes")

    h, b = copy.deepcopy(dheader), list(dblobs)
    h["tensors"][bias]["shape"] = [1 << 28]
    h["tensors"][bias]["raw_size"] = 1 << 30
    stored_size = len(b[bias])
    case("raw_size_beyond_inflate_ratio.c1d", assemble(h, b),
         f"tensor 'a.bias' raw_size (inflate ratio bound for {stored_size} stored bytes) is {1 << 30}, above the loader's limit of {stored_size * 1100 + 4096}")

    h, b = copy.deepcopy(dheader), list(dblobs)
    b[bias] = zlib.compress(bytes(12))
    case("inflates_short.c1d", assemble(h, b), "tensor 'a.bias': inflates to 12 bytes, declared raw_size is 20")

    h, b = copy.deepcopy(dheader), list(dblobs)
    b[bias] = dblobs[bias] + b"JUNK"
    case("trailing_after_stream.c1d", assemble(h, b), "tensor 'a.bias': 4 bytes follow the end of the zlib stream")

    h, b = copy.deepcopy(dheader), list(dblobs)
    b[bias] = dblobs[bias][: len(dblobs[bias]) // 2]
    case("truncated_stream.c1d", assemble(h, b), "tensor 'a.bias': invalid or truncated deflate data")

    h, b = copy.deepcopy(dheader), list(dblobs)
    b[bias] = b"\x78\x9c" + b"\xff" * 10
    case("invalid_deflate.c1d", assemble(h, b), "tensor 'a.bias': invalid or truncated deflate data")

    # --- graph ----------------------------------------------------------------------------------
    def graph_case(name, mutate, message, tensors=None):
        m = base_model()
        if tensors:
            m.tensors.update(tensors)
        _, hh, bb = parts(m)
        mutate(hh["graph"])
        case(name, assemble(hh, bb), message, "graph")

    graph_case("weight_shape_mismatch.c1d", lambda g: None,
               "node 'a': parameter 'a.weight' expected shape [5, 4, 3], got shape [5, 4, 4]",
               tensors={"a.weight": np.ones((5, 4, 4))})
    graph_case("groups_not_dividing.c1d", lambda g: g["nodes"][0]["attributes"].update(groups=3),
               "node 'a': in_channels must be divisible by groups")
    graph_case("same_with_stride.c1d", lambda g: g["nodes"][0]["attributes"].update(padding="same", stride=2),
               "node 'a': padding='same' is not supported for strided convolutions")
    graph_case("unknown_padding_mode.c1d", lambda g: g["nodes"][0]["attributes"].update(padding_mode="mirror"),
               "node 'a': padding_mode must be one of ['zeros', 'reflect', 'replicate', 'circular'], but got padding_mode='mirror'")
    graph_case("bad_padding_string.c1d", lambda g: g["nodes"][0]["attributes"].update(padding="full"),
               "node 'a': Invalid padding string 'full', should be one of {'valid', 'same'}")
    graph_case("negative_stride.c1d", lambda g: g["nodes"][0]["attributes"].update(stride=-1),
               "node 'a': non-positive stride is not supported")
    graph_case("huge_kernel.c1d", lambda g: g["nodes"][0]["attributes"].update(kernel_size=1 << 40),
               "node 'a' kernel_size is 1099511627776, above the loader's limit of 16777216")
    graph_case("unknown_op.c1d", lambda g: g["nodes"][1].update(op="conv2d"), "node 'b': unknown op 'conv2d'")

    def swap(g):
        g["nodes"].reverse()
    graph_case("used_before_defined.c1d", swap, "node 'b': input 'a' is used before it is defined")

    def cycle(g):
        g["nodes"][0]["inputs"] = ["b"]
        g["nodes"][0]["attributes"]["in_channels"] = 6
    graph_case("cycle.c1d", cycle, "the graph has a cycle through nodes 'a' → 'b' → 'a'")

    def undefined(g):
        g["nodes"][1]["inputs"] = ["nowhere"]
    graph_case("undefined_input.c1d", undefined, "node 'b': input 'nowhere' is used before it is defined")

    def channels(g):
        g["nodes"][1]["attributes"]["in_channels"] = 4
    graph_case("channel_mismatch.c1d", channels, "node 'b': parameter 'b.weight' expected shape [6, 4, 3], got shape [6, 5, 3]")

    def channels_edge(g):
        g["nodes"][0]["attributes"]["out_channels"] = 5
        g["inputs"][0]["channels"] = 3
    graph_case("input_channel_mismatch.c1d", channels_edge,
               "node 'a': input 'input' expected 4 channels (Given groups=1, weight of size [5, 4, 3]), got 3 channels")

    def fixed_short(g):
        g["inputs"][0]["length"] = 4
    graph_case("fixed_length_too_short.c1d", fixed_short,
               "node 'b': Calculated padded input size per channel: (2). Kernel size: (3). Kernel size can't be greater than actual input size")

    def duplicate_node(g):
        g["nodes"][1]["name"] = "a"
    graph_case("duplicate_node.c1d", duplicate_node, "duplicate node name 'a'")

    def unused(g):
        g["nodes"][1]["attributes"]["bias"] = False
        del g["nodes"][1]["params"]["bias"]
    graph_case("unused_tensor.c1d", unused, "tensor 'b.bias' is not a parameter of any node: remove it from the file, or name it in a node's params")

    def missing_output(g):
        g["outputs"] = ["c"]
    graph_case("undefined_output.c1d", missing_output, "graph.outputs: expected names of defined values, got 'c'")

    # Version 1.1 ops: attributes and operands a reader must check.
    def appended(op, attributes, inputs=("b",)):
        def mutate(g):
            g["nodes"].append({"name": "c", "op": op, "inputs": list(inputs), "outputs": ["c"],
                               "attributes": attributes, "params": {}})
            g["outputs"] = ["c"]
        return mutate
    graph_case("v11_unknown_axis.c1d", appended("reduce", {"kind": "mean", "axis": "frequency"}),
               "node 'c'.attributes.axis: unknown value 'frequency', expected one of 'channels', 'time'")
    graph_case("v11_clamp_without_bounds.c1d", appended("clamp", {"min": None, "max": None}),
               "node 'c': torch.clamp: At least one of 'min' or 'max' must not be None")
    graph_case("v11_narrow_past_the_end.c1d", appended("narrow", {"axis": "channels", "start": 4, "length": 4}),
               "node 'c': start (4) + length (4) exceeds dimension size (6).")
    graph_case("v11_upsample_size_and_scale.c1d", appended("upsample", {"size": 10, "scale_factor": 2.0}),
               "node 'c': only one of size or scale_factor should be defined")
    graph_case("v11_broadcast_channels.c1d", appended("sub", {}, inputs=("a", "b")),
               "node 'c': input 'b' expected a sequence of 5 channels, got a sequence of 6 channels: "
               "The size of tensor a (5) must match the size of tensor b (6) at non-singleton dimension 1")
    graph_case("v11_glu_odd_channels.c1d", appended("glu", {}, inputs=("a",)),
               "node 'c': Halving dimension must be even, but dimension 1 is size 5")

    manifest = {}
    for name, (layer, data, message) in sorted(cases.items()):
        with open(os.path.join(OUT, name), "wb") as out:
            out.write(data)
        manifest[name] = {"layer": layer, "error": message}
    with open(os.path.join(OUT, "expected.json"), "w") as out:
        json.dump(manifest, out, indent=1, ensure_ascii=False)
        out.write("\n")
    print(f"{len(manifest)} malformed files")


if __name__ == "__main__":
    main()
