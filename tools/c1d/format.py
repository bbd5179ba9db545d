"""Reader and writer of the .c1d container format, written from schema/FORMAT.md alone.

numpy is the only dependency. `load` checks everything the container promises (preamble, checksums,
sizes, extents, inflate bounds); graph semantics are checked by the Swift loader.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
import zlib
from dataclasses import dataclass, field

import numpy as np

MAGIC = b"\x89C1D\r\n\x1a\n"
MAJOR, MINOR = 1, 1  # MINOR: the newest minor version this module reads and writes
PREAMBLE = 32
ALIGN = 64
DTYPE_SIZE = {"f32": 4, "f16": 2, "bf16": 2}
CODECS = ("none", "deflate", "shuffle-deflate")
DEFAULT_LEVEL = 6
MAX_HEADER = 16 << 20
INFLATE_RATIO = 1100

# FORMAT.md §6: every attribute of every op, with its default (REQUIRED: no default) and whether it is
# float-typed ("number"), which fixes its canonical spelling.
REQUIRED = object()
ATTRIBUTES = {
    "conv1d": {"in_channels": REQUIRED, "out_channels": REQUIRED, "kernel_size": REQUIRED, "stride": 1,
               "padding": 0, "dilation": 1, "groups": 1, "bias": True, "padding_mode": "zeros"},
    "pad": {"left": REQUIRED, "right": REQUIRED, "mode": "constant", "value": 0.0},
    "slice": {"start": 0, "stop": None},
    "relu": {}, "silu": {}, "tanh": {}, "sigmoid": {}, "add": {}, "mul": {}, "concat": {},
    "global_avg_pool1d": {}, "flatten": {},
    "leaky_relu": {"negative_slope": 0.01},
    "prelu": {"num_parameters": 1},
    "elu": {"alpha": 1.0},
    "gelu": {"approximate": "none"},
    "batch_norm": {"num_features": REQUIRED, "eps": 1e-05, "affine": True},
    "group_norm": {"num_groups": REQUIRED, "num_channels": REQUIRED, "eps": 1e-05, "affine": True},
    "layer_norm": {"num_channels": REQUIRED, "eps": 1e-05, "affine": True},
    "max_pool1d": {"kernel_size": REQUIRED, "stride": None, "padding": 0, "dilation": 1, "ceil_mode": False},
    "avg_pool1d": {"kernel_size": REQUIRED, "stride": None, "padding": 0, "ceil_mode": False,
                   "count_include_pad": True},
    "linear": {"in_features": REQUIRED, "out_features": REQUIRED, "bias": True},
}
FLOAT_ATTRIBUTES = {"value", "negative_slope", "alpha", "eps"}

# Version 1.1 (schema/FORMAT.md §6.1): a file is written as 1.1 when it uses one of these ops, else as 1.0.
ATTRIBUTES_1_1 = {
    "sub": {}, "div": {}, "pow": {}, "maximum": {}, "minimum": {}, "constant": {},
    "clamp": {"min": None, "max": None},
    "abs": {}, "neg": {}, "exp": {}, "log": {}, "sqrt": {}, "rsqrt": {}, "square": {}, "reciprocal": {},
    "sin": {}, "cos": {}, "mish": {}, "hardswish": {}, "hardsigmoid": {},
    "softplus": {"beta": 1.0, "threshold": 20.0},
    "snake": {},
    "reduce": {"kind": REQUIRED, "axis": REQUIRED, "keepdim": True, "correction": 1},
    "softmax": {"axis": REQUIRED}, "log_softmax": {"axis": REQUIRED},
    "glu": {"axis": "channels"},
    "instance_norm": {"num_channels": REQUIRED, "eps": 1e-05, "affine": False},
    "narrow": {"axis": REQUIRED, "start": REQUIRED, "length": REQUIRED},
    "concat_time": {},
    "upsample": {"mode": "nearest", "scale_factor": None, "size": None, "align_corners": False},
    "adaptive_avg_pool1d": {"output_size": REQUIRED}, "adaptive_max_pool1d": {"output_size": REQUIRED},
    "conv_transpose1d": {"in_channels": REQUIRED, "out_channels": REQUIRED, "kernel_size": REQUIRED, "stride": 1,
                         "padding": 0, "output_padding": 0, "dilation": 1, "groups": 1, "bias": True},
}
ATTRIBUTES.update(ATTRIBUTES_1_1)
FLOAT_ATTRIBUTES = {"value", "negative_slope", "alpha", "eps", "min", "max", "beta", "threshold", "scale_factor"}


class FormatError(ValueError):
    """A file that is not a valid .c1d file."""


@dataclass
class Model:
    """A .c1d model: metadata {key: (type, value)}, the graph as in the header, float32 tensors."""

    graph: dict
    tensors: dict[str, np.ndarray]
    metadata: dict[str, tuple[str, object]] = field(default_factory=dict)
    # name -> (dtype, codec, stored bytes) as read, so that an unchanged re-save copies the bytes.
    encodings: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# dtypes and codecs

def encode_dtype(values: np.ndarray, dtype: str) -> bytes:
    v = np.ascontiguousarray(values, dtype="<f4")
    if dtype == "f32":
        return v.tobytes()
    if dtype == "f16":
        return v.astype("<f2").tobytes()
    if dtype == "bf16":
        b = v.view("<u4").astype(np.uint64)
        rounded = ((b + 0x7FFF + ((b >> 16) & 1)) >> 16).astype("<u2")
        nan = np.isnan(v)
        rounded[nan] = ((b[nan] >> 16) | 0x0040).astype("<u2")
        return rounded.tobytes()
    raise FormatError(f"unknown dtype {dtype!r}")


def decode_dtype(raw: bytes, dtype: str, shape) -> np.ndarray:
    if dtype == "f32":
        out = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    elif dtype == "f16":
        out = np.frombuffer(raw, dtype="<f2").astype(np.float32)
    elif dtype == "bf16":
        out = (np.frombuffer(raw, dtype="<u2").astype("<u4") << 16).view("<f4").astype(np.float32)
    else:
        raise FormatError(f"unknown dtype {dtype!r}")
    return out.reshape(shape)


def shuffle(raw: bytes, size: int) -> bytes:
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, size).T.tobytes()


# A piece (a shuffled plane, or 64 KiB of a `deflate` tensor) is stored rather than Huffman-coded unless
# deflate saves at least 1/8 of it: float mantissa planes compress by under 1%, unshuffled float32 weights by
# about 9%, and inflating costs ~3 ns a byte where a stored block is a copy.
PLANE_STORE_NUMERATOR, PLANE_STORE_DENOMINATOR = 7, 8
DEFLATE_PIECE = 1 << 16
_ZLIB_HEADER = {0: b"\x78\x01", 1: b"\x78\x01", 2: b"\x78\x5e", 3: b"\x78\x5e", 4: b"\x78\x5e", 5: b"\x78\x5e",
                6: b"\x78\x9c", 7: b"\x78\xda", 8: b"\x78\xda", 9: b"\x78\xda"}


def _stored_blocks(data: bytes) -> bytes:
    """`data` as non-final stored deflate blocks (RFC 1951 §3.2.4), each at most 65535 bytes."""
    out = bytearray()
    for start in range(0, len(data), 0xFFFF):
        chunk = data[start:start + 0xFFFF]
        out += struct.pack("<BHH", 0, len(chunk), len(chunk) ^ 0xFFFF) + chunk
    return bytes(out)


def deflate_pieces(data: bytes, piece: int, level: int) -> bytes:
    """One zlib stream of `data` cut into pieces of `piece` bytes (the last may be shorter): each piece
    deflated on its own, or stored where deflate saves under 1/8 of it. Each piece is deflated twice, with
    string matching and Huffman-only, and the shorter kept (matching on ties): float byte planes are noise
    to the matcher, whose short matches cost more than the literals they replace. Valid zlib: readers
    inflate it as any other stream."""
    return _deflate_pieces_counting(data, piece, level)[0]


def piece_bounds(length: int, piece: int, plane: int | None = None) -> list[tuple[int, int]]:
    """Where the writers cut `length` bytes: pieces of `piece` bytes within each plane of `plane` bytes (the
    whole, when None), each plane's last piece shorter. Readers that know this find the pieces (§8)."""
    if not length:
        return []
    plane = plane or length
    return [(start, min(start + piece, first + plane))
            for first in range(0, length, plane) for start in range(first, first + plane, piece)]


def _deflate_pieces_counting(data: bytes, piece: int, level: int, plane: int | None = None) -> tuple[bytes, int]:
    """`deflate_pieces` (pieces within planes of `plane` bytes), with the number deflated rather than stored."""
    if level not in _ZLIB_HEADER:
        raise FormatError(f"compression level must be 0-9, got {level}")
    body = bytearray()
    deflated_pieces = 0
    for start, stop in piece_bounds(len(data), piece, plane):
        chunk = data[start:stop]
        if level == 0:  # deflates to stored blocks, never under 7/8 of the piece, whatever the strategy
            body += _stored_blocks(chunk)
            continue
        strategies = (zlib.Z_DEFAULT_STRATEGY, zlib.Z_HUFFMAN_ONLY)
        deflated = min((_raw_deflate(chunk, level, strategy) for strategy in strategies), key=len)
        keeps_deflated = len(deflated) * PLANE_STORE_DENOMINATOR < len(chunk) * PLANE_STORE_NUMERATOR
        body += deflated if keeps_deflated else _stored_blocks(chunk)
        deflated_pieces += keeps_deflated
    body += b"\x01\x00\x00\xff\xff"  # the final block: stored, empty
    return _ZLIB_HEADER[level] + bytes(body) + struct.pack(">I", zlib.adler32(data)), deflated_pieces


def encode_stored(raw: bytes, dtype: str, codec: str, level: int) -> tuple[str, bytes]:
    """`raw` stored under `codec`, and the codec it is stored under: a tensor none of whose pieces deflates
    (float32 weights unshuffled, or every plane of one, all stored blocks) is written as `none` instead, the
    same bytes without block headers: readers use them in place, with nothing to copy, inflate or
    Adler-check. Byte-identical with Swift's `Model.encode`."""
    if codec == "none":
        return "none", raw
    if codec == "deflate":
        stream, deflated_pieces = _deflate_pieces_counting(raw, DEFLATE_PIECE, level)
    elif codec == "shuffle-deflate":
        size = DTYPE_SIZE[dtype]
        shuffled = shuffle(raw, size)
        stream, deflated_pieces = _deflate_pieces_counting(shuffled, DEFLATE_PIECE, level, len(shuffled) // size)
    else:
        raise FormatError(f"unknown codec {codec!r}")
    return (codec, stream) if deflated_pieces else ("none", raw)


# zlib's memory level 9 ends a block every 32 K symbols (8: 16 K): half as many Huffman tables for a reader
# to build (wav2vec 2.0 stored as f16 loads and runs 1.5% faster in one process).
MEMORY_LEVEL = 9


def _raw_deflate(chunk: bytes, level: int, strategy: int) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15, MEMORY_LEVEL, strategy)
    return compressor.compress(chunk) + compressor.flush(zlib.Z_SYNC_FLUSH)


def deflate_planes(shuffled: bytes, size: int, level: int) -> bytes:
    """`shuffled` (`size` byte planes of equal length), each plane cut into pieces of DEFLATE_PIECE bytes: a
    reader finds a piece's end by its sync flush and decodes pieces side by side."""
    return _deflate_pieces_counting(shuffled, DEFLATE_PIECE, level, len(shuffled) // size)[0]


def unshuffle(data: bytes, size: int) -> bytes:
    return np.frombuffer(data, dtype=np.uint8).reshape(size, -1).T.tobytes()


def inflate_exact(data: bytes, raw_size: int, name: str) -> bytes:
    d = zlib.decompressobj()
    try:
        out = d.decompress(data, raw_size + 1)
    except zlib.error as e:
        raise FormatError(f"tensor {name!r}: invalid deflate data ({e})") from None
    if len(out) > raw_size:
        raise FormatError(f"tensor {name!r}: inflates to more than raw_size {raw_size}")
    if not d.eof:
        raise FormatError(f"tensor {name!r}: zlib stream ends early")
    if d.unused_data:
        raise FormatError(f"tensor {name!r}: bytes follow the zlib stream")
    if len(out) != raw_size:
        raise FormatError(f"tensor {name!r}: inflates to {len(out)} bytes, raw_size is {raw_size}")
    return out


# ---------------------------------------------------------------------------------------------
# reading

def load(source) -> Model:
    """Reads a .c1d file from a path or bytes, checking the container (FORMAT.md §9, items 1-2)."""
    data = source if isinstance(source, (bytes, bytearray, memoryview)) else open(source, "rb").read()
    data = bytes(data)
    if data[:8] != MAGIC[: len(data[:8])] or len(data) == 0:
        raise FormatError("bad magic")
    if len(data) < PREAMBLE:
        raise FormatError("file truncated in the preamble")
    major, minor, _reserved, header_size, header_crc, preamble_crc = struct.unpack_from("<HHIQII", data, 8)
    if major != MAJOR:
        raise FormatError(f"unsupported major version {major}")
    if zlib.crc32(data[:28]) != preamble_crc:
        raise FormatError("preamble CRC mismatch")
    if header_size > MAX_HEADER:
        raise FormatError("header too large")
    if PREAMBLE + header_size > len(data):
        raise FormatError("file truncated in the header")
    header_bytes = data[PREAMBLE: PREAMBLE + header_size]
    if zlib.crc32(header_bytes) != header_crc:
        raise FormatError("header CRC mismatch")

    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            raise FormatError("duplicate key in header")
        return dict(pairs)

    try:
        header = json.loads(header_bytes.decode("utf-8"), object_pairs_hook=no_duplicates,
                            parse_constant=lambda c: (_ for _ in ()).throw(FormatError(c)))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise FormatError(f"malformed header: {e}") from None
    if not isinstance(header, dict) or not all(k in header for k in ("metadata", "graph", "tensors")):
        raise FormatError("header lacks metadata, graph or tensors")

    data_start = _align(PREAMBLE + header_size)
    tensors, encodings, extents, names = {}, {}, [], set()
    for t in header["tensors"]:
        name = t["name"]
        if name in names:
            raise FormatError(f"duplicate tensor {name!r}")
        names.add(name)
        dtype, codec, shape = t["dtype"], t["codec"], list(t["shape"])
        if dtype not in DTYPE_SIZE or codec not in CODECS:
            raise FormatError(f"tensor {name!r}: unknown dtype or codec")
        if any((not isinstance(d, int)) or d < 0 for d in shape) or len(shape) > 8:
            raise FormatError(f"tensor {name!r}: bad shape {shape}")
        expected = DTYPE_SIZE[dtype] * int(np.prod(shape, dtype=object))
        offset, stored, raw_size = t["offset"], t["stored_size"], t["raw_size"]
        if raw_size != expected:
            raise FormatError(f"tensor {name!r}: raw_size {raw_size}, expected {expected}")
        if offset % ALIGN or offset < data_start or stored < 0 or offset + stored > len(data):
            raise FormatError(f"tensor {name!r}: extent outside the data section")
        blob = data[offset: offset + stored]
        if codec == "none":
            if stored != raw_size:
                raise FormatError(f"tensor {name!r}: stored_size != raw_size")
            raw = blob
        else:
            if raw_size > stored * INFLATE_RATIO + 4096:
                raise FormatError(f"tensor {name!r}: raw_size beyond the inflate-ratio bound")
            raw = inflate_exact(blob, raw_size, name)
            if codec == "shuffle-deflate":
                raw = unshuffle(raw, DTYPE_SIZE[dtype])
        if zlib.crc32(raw) != t["crc32"]:
            raise FormatError(f"tensor {name!r}: CRC mismatch")
        tensors[name] = decode_dtype(raw, dtype, shape)
        encodings[name] = (dtype, codec, blob)
        if stored:
            extents.append((offset, offset + stored, name))
    extents.sort()
    for (a0, a1, an), (b0, _b1, bn) in zip(extents, extents[1:]):
        if a1 > b0:
            raise FormatError(f"tensors {an!r} and {bn!r} overlap")
    # Nothing may follow the data (FORMAT.md §2, §9): no checksum covers trailing bytes. The file ends
    # where the tensor that ends last ends (an empty one at its offset, as writers pad to it), or at
    # the header's end when there are no tensors.
    end = max([PREAMBLE + header_size] + [t["offset"] + t["stored_size"] for t in header["tensors"]])
    if len(data) > end:
        raise FormatError(f"file size: expected {end} bytes, got {len(data)}: "
                          f"{len(data) - end} trailing bytes after the data that no checksum covers")
    metadata = {k: (v["type"], v["value"]) for k, v in header["metadata"].items()}
    return Model(graph=header["graph"], tensors=tensors, metadata=metadata, encodings=encodings)


# ---------------------------------------------------------------------------------------------
# writing

def _align(x: int) -> int:
    return (x + ALIGN - 1) // ALIGN * ALIGN


def canonical_json(obj) -> bytes:
    """FORMAT.md §5: sorted keys, no whitespace, minimal escapes, Python's repr for floats."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def normalized_node(node: dict) -> dict:
    """A node with every attribute of its op (defaults filled), float attributes as floats."""
    op = node["op"]
    if op not in ATTRIBUTES:
        raise FormatError(f"node {node['name']!r}: unknown op {op!r}")
    given = node.get("attributes", {})
    attributes = {}
    for key, default in ATTRIBUTES[op].items():
        if key in given:
            value = given[key]
        elif default is REQUIRED:
            raise FormatError(f"node {node['name']!r}: attribute {key!r} is required")
        else:
            value = default
        if key == "stride" and value is None and op in ("max_pool1d", "avg_pool1d"):
            value = attributes["kernel_size"]
        if key in FLOAT_ATTRIBUTES and value is not None:
            value = float(value)
        attributes[key] = value
    return {"name": node["name"], "op": op, "inputs": list(node["inputs"]), "outputs": list(node["outputs"]),
            "attributes": attributes, "params": dict(node.get("params", {}))}


def normalized_graph(graph: dict) -> dict:
    inputs = []
    for i in graph["inputs"]:
        rate = i.get("sample_rate")
        inputs.append({"name": i["name"], "channels": int(i["channels"]), "length": i.get("length"),
                       "sample_rate": None if rate is None else float(rate)})
    return {"inputs": inputs, "outputs": list(graph["outputs"]),
            "nodes": [normalized_node(n) for n in graph["nodes"]]}


def canonical_tensor_order(graph: dict) -> list[str]:
    order, seen = [], set()
    for node in graph["nodes"]:
        for role in sorted(node.get("params", {}), key=lambda r: r.encode("utf-8")):
            name = node["params"][role]
            if name not in seen:
                seen.add(name)
                order.append(name)
    return order


def dumps(model: Model, dtype: str | None = None, codec: str | None = None, level: int | None = None) -> bytes:
    """The model as .c1d bytes. dtype/codec None keep each tensor's stored encoding (f32/deflate if
    new); level None copies unchanged stored bytes and compresses the rest at level 6."""
    graph = normalized_graph(model.graph)
    blobs = []
    for name in canonical_tensor_order(graph):
        values = np.asarray(model.tensors[name], dtype=np.float32)
        kept = model.encodings.get(name)
        t_dtype = dtype or (kept[0] if kept else "f32")
        t_codec = codec or (kept[1] if kept else "deflate")
        raw = encode_dtype(values, t_dtype)
        if kept and kept[0] == t_dtype and kept[1] == t_codec and (level is None or t_codec == "none"):
            stored = kept[2]
        else:
            t_codec, stored = encode_stored(raw, t_dtype, t_codec, DEFAULT_LEVEL if level is None else level)
        entry = {"name": name, "dtype": t_dtype, "shape": list(values.shape), "codec": t_codec, "offset": 0,
                 "stored_size": len(stored), "raw_size": len(raw), "crc32": zlib.crc32(raw)}
        blobs.append((entry, stored))

    metadata = {}
    for key, (kind, value) in model.metadata.items():
        value = float(value) if kind == "float" else value
        metadata[key] = {"type": kind, "value": value}

    data_start = 0
    while True:
        offset = data_start
        for entry, stored in blobs:
            entry["offset"] = offset
            offset = _align(offset + len(stored))
        header = canonical_json({"metadata": metadata, "graph": graph, "tensors": [e for e, _ in blobs]})
        needed = _align(PREAMBLE + len(header))
        if needed <= data_start:
            break
        data_start = needed

    minor = 1 if any(node["op"] in ATTRIBUTES_1_1 for node in graph["nodes"]) else 0
    head = MAGIC + struct.pack("<HHIQI", MAJOR, minor, 0, len(header), zlib.crc32(header))
    out = bytearray(head + struct.pack("<I", zlib.crc32(head)) + header)
    for entry, stored in blobs:
        out += bytes(entry["offset"] - len(out))
        out += stored
    return bytes(out)


def save(model: Model, path, **options) -> None:
    """Writes atomically: a temporary file beside `path`, fsync, rename."""
    data = dumps(model, **options)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", dir=directory)
    try:
        # mkstemp creates the file 0600; give it the mode Swift's save gives (0644 less the umask), so
        # that a model saved from Python is as readable as one saved from Swift.
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o644 & ~umask)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
