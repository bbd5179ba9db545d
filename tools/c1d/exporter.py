"""Export a torch.nn.Module to a .c1d file, captured with torch.export (non-strict) and checked.

PyTorch is needed here only, never by the Swift package.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import shutil
import subprocess
import tempfile
import warnings

import numpy as np
import torch
import torch.nn as nn

from . import format as c1dformat
from .export_errors import ExportCheckError, UnsupportedOperation
from .export_graph import Converter
from .export_optimize import drop_dead_nodes, fuse_norm_affine, fuse_pad_into_conv, fuse_snake
from .export_reference import run as reference_run
from .export_shapes import ShapeError, infer

__all__ = ["export", "to_model", "UnsupportedOperation", "ExportCheckError", "CheckSkipped"]


class CheckSkipped(UserWarning):
    """The written file could not be run through convrun (it does not know one of its ops yet)."""


# ---------------------------------------------------------------------------------------------
# capture

def _refuse_torchscript(module):
    scripted = [name or "<root>" for name, m in module.named_modules()
                if isinstance(m, (torch.jit.ScriptModule, torch.jit.RecursiveScriptModule))]
    if isinstance(module, torch.jit.ScriptModule) and "<root>" not in scripted:
        scripted.insert(0, "<root>")
    if scripted:
        raise UnsupportedOperation(
            f"TorchScript modules cannot be captured: {', '.join(scripted)}",
            hint="export the original Python nn.Module (before torch.jit.script/trace)")


@contextlib.contextmanager
def _eval_mode(module):
    """Eval mode for the export; every submodule's own training flag, and every buffer a forward() may
    update (counters, caches), are restored afterwards."""
    modes = [(m, m.training) for m in module.modules()]
    buffers = [(b, b.detach().clone()) for b in module.buffers()]
    module.eval()
    try:
        yield
    finally:
        for m, mode in modes:
            m.training = mode
        with torch.no_grad():
            for b, saved in buffers:
                if b.shape == saved.shape:
                    b.copy_(saved)


def _trace_batch(example):
    # With a batch of one, the batch axis cannot be told from other size-1 axes in views; trace with two.
    if example.shape[0] == 1:
        return torch.cat([example, example.flip(-1)], 0)
    return example


_FACTORIES = {torch.arange, torch.tensor, torch.linspace, torch.as_tensor}


class _RealConstants(torch.overrides.TorchFunctionMode):
    """Tensors made from Python numbers alone are made real, not fake, during capture: models call
    `.tolist()` or `.item()` on them (asteroid's norms: `torch.arange(1, x.ndim).tolist()`), which a
    fake tensor cannot answer. They are constants of the graph either way."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in _FACTORIES and not any(isinstance(a, torch.Tensor) for a in (*args, *kwargs.values())):
            from torch._subclasses.fake_tensor import unset_fake_temporarily
            with unset_fake_temporarily():
                return func(*args, **kwargs)
        return func(*args, **kwargs)


@contextlib.contextmanager
def _keyword_tolerant_submodules(module):
    """Submodules called with keywords their forward() does not take drop those keywords during capture.

    Models probe their layers with `try: layer(x, lengths=lens) except TypeError: layer(x)` (speechbrain's
    Xvector and containers). In eager mode the TypeError picks the second call; under torch.export's
    tracer it escapes from inside the tracer's module stack and breaks it ("Unexpected key …"). A
    forward that cannot take the keyword would compute `layer(x)` either way, so dropping the keyword
    before the call is the same computation, without the exception."""
    patched = []
    for sub in module.modules():
        forward = sub.forward
        try:
            parameters = inspect.signature(forward).parameters
        except (TypeError, ValueError):
            continue
        if any(p.kind == inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
            continue
        names = set(parameters)

        def tolerant(*args, _forward=forward, _names=names, **kwargs):
            return _forward(*args, **{k: v for k, v in kwargs.items() if k in _names})

        had_own = "forward" in sub.__dict__
        sub.forward = tolerant
        patched.append((sub, had_own, forward))
    try:
        yield
    finally:
        for sub, had_own, forward in patched:
            if had_own:
                sub.forward = forward
            else:
                del sub.forward


def _capture(module, example):
    try:
        with _RealConstants(), _keyword_tolerant_submodules(module):
            program = torch.export.export(module, (example,), strict=False)
        return program.run_decompositions({})
    except UnsupportedOperation:
        raise
    except Exception as e:  # torch.export's own errors are many types; report them as one
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UnsupportedOperation(f"torch.export could not capture the module: {type(e).__name__}: {first}",
                                   hint="data-dependent control flow and non-tensor inputs cannot be "
                                        "captured; see the chained exception") from e


def _layouts(example):
    """Candidate meanings of the example's axes: (N, C, L); a 2-D example is (C, L) or an (N, L) waveform."""
    if example.dim() == 3:
        return [("N", "C", "L"), ("N", "L", "C")]
    if example.dim() == 2:
        return [("C", "L"), ("N", "L")]
    raise UnsupportedOperation(f"an example of shape {tuple(example.shape)}: .c1d inputs are sequences "
                               "(N, C, L), or 2-D (C, L) / (N, L)",
                               hint="2-D (image or spectrogram) models are not 1-D conv networks")


def _convert(module, example, layout, programs, widen):
    traced_example = _trace_batch(example) if widen and layout[0] == "N" else example
    key = tuple(traced_example.shape)
    if key not in programs:  # the capture does not depend on the reading of the axes: capture once
        programs[key] = _capture(module, traced_example)
    converter = Converter(programs[key], layout, key)
    outputs = converter.run()
    for out in outputs:
        out.__dict__.setdefault("group_dim", converter.group_outputs.get(out.name, 1))
    return converter, outputs


def _channels(example, layout):
    return int(example.shape[layout.index("C")]) if "C" in layout else 1


class _Export:
    """The result of conversion: the c1d model and what is needed to check it."""

    def __init__(self, model, layout, outputs, dropped=()):
        self.model = model
        self.layout = layout
        self.outputs = outputs
        self.dropped = set(dropped)

    def kept(self, refs):
        """PyTorch's outputs that the file has (constant outputs are left out of it)."""
        return [r for i, r in enumerate(refs) if i not in self.dropped]


def _build(module, example, *, name, description, license, fixed_length, sample_rate, input_layout):
    _refuse_torchscript(module)
    layouts = _layouts(example) if input_layout == "auto" else [tuple(input_layout)]
    errors, programs = [], {}
    # A batch of one is traced as a batch of two (to tell the batch axis from size-1 axes), unless the
    # module only works at its example's batch of one (x.view(1, ...)).
    attempts = [(layout, widen) for widen in ((True, False) if example.shape[0] == 1 else (True,))
                for layout in layouts]
    for layout, widen in attempts:
        try:
            converter, outputs = _convert(module, example, layout, programs, widen)
            break
        except UnsupportedOperation as e:
            errors.append(e)
    else:
        # The reading of the input axes that got furthest into the graph is the one the user meant.
        raise max(errors, key=lambda e: getattr(e, "progress", 0))
    length = int(example.shape[-1])
    graph = {"inputs": [{"name": "input", "channels": _channels(example, layout),
                         "length": length if fixed_length else None, "sample_rate": sample_rate}],
             "outputs": [o.name for o in outputs],
             "nodes": _optimize(converter, [o.name for o in outputs], _channels(example, layout),
                                _c1d_input(example, layout).shape[-1])}
    metadata = {"name": ("string", name or type(module).__name__), "description": ("string", description),
                "producer": ("string", f"c1d.export (torch {torch.__version__})"), "license": ("string", license)}
    layouts = ["".join(a for a in o.axes if a != "1") for o in outputs]
    if any("LC" in l for l in layouts):
        metadata["export.output_layout"] = ("string", ",".join(layouts))
        warnings.warn("an output is channels-last (N, L, C) in PyTorch; the .c1d file gives it as (N, C, L)",
                      stacklevel=3)
    if converter.dropped_outputs:
        warnings.warn(f"outputs {converter.dropped_outputs} of the module do not depend on its input (constants such "
                      "as lengths); the file leaves them out", stacklevel=3)
    model = c1dformat.Model(graph=graph, tensors=converter.tensors, metadata=metadata)
    return _Export(model, layout, outputs, converter.dropped_outputs)


def _optimize(converter, outputs, channels, length):
    nodes = drop_dead_nodes(converter.nodes, outputs, converter.tensors)
    nodes = fuse_pad_into_conv(nodes, outputs)
    nodes = fuse_norm_affine(nodes, outputs, converter.tensors)
    graph = {"inputs": [{"name": "input", "channels": channels}], "nodes": nodes}
    try:
        shapes = infer(graph, converter.tensors, length)
    except ShapeError:
        return nodes  # reported by the shape check after the export
    return fuse_snake(nodes, outputs, converter.tensors, lambda name: shapes[name][0])


def to_model(module: nn.Module, example_input: torch.Tensor, *, name: str = "", description: str = "",
             license: str = "", fixed_length: bool = False, sample_rate: float | None = None,
             input_layout="auto") -> c1dformat.Model:
    """Captures `module` on `example` (eval mode) and converts it to a c1d Model (float32 tensors).

    Keywords as in `export`. Raises UnsupportedOperation naming the op, the module and the source line.
    """
    example = _as_example(example_input)
    with _eval_mode(module), torch.no_grad():
        return _build(module, example, name=name, description=description, license=license,
                      fixed_length=fixed_length, sample_rate=sample_rate, input_layout=input_layout).model


# ---------------------------------------------------------------------------------------------
# checks

def _as_example(example):
    if not isinstance(example, torch.Tensor):
        raise TypeError(f"example must be a torch.Tensor, got {type(example).__name__}")
    return example.detach().to(torch.float32)


def _reference(module, example):
    try:
        with torch.no_grad():
            result = module(example)
    except Exception as e:  # the module's own failure, before any export
        raise ValueError(f"the module fails on the example in PyTorch itself: {type(e).__name__}: {e}") from e
    results = result if isinstance(result, (list, tuple)) else [result]
    return [r for r in results if r is not None]


def _c1d_input(example, layout):
    """The example as convrun reads it: (N, C, L)."""
    if layout == ("N", "C", "L"):
        return example
    if layout == ("C", "L"):
        return example.unsqueeze(0)
    if layout == ("N", "L", "C"):
        return example.transpose(1, 2).contiguous()
    return example.unsqueeze(1)  # (N, L) waveform: one channel


def _expected(ref, out_val, batch):
    """PyTorch's output as the file's per-sample layout gives it: (N, C, L) or (N, F)."""
    ref = ref.detach().to(torch.float32)
    axes = [a for a in out_val.axes]
    if len(axes) != ref.dim():
        # Sources joined along channels: move PyTorch's source axis next to the batch first.
        return ref.movedim(out_val.group_dim, 1).reshape(batch, -1)
    if "N" not in axes:
        ref, axes = ref.unsqueeze(0), ["N"] + axes
    kept = [i for i, a in enumerate(axes) if a != "1"]
    ref = ref.reshape([ref.shape[i] for i in kept])
    labels = [axes[i] for i in kept]
    if labels == ["N", "L", "C"]:
        ref = ref.transpose(1, 2)
    return ref.reshape(batch, -1)


def _check_shapes(model, example, layout, refs, outputs):
    x = _c1d_input(example, layout)
    try:
        shapes = infer(model.graph, model.tensors, int(x.shape[-1]))
    except ShapeError as e:
        raise ExportCheckError(f"the exported graph is inconsistent at the example's length: {e}") from None
    for ref, out in zip(refs, outputs):
        mine = shapes[out.name]
        if len(out.axes) == ref.dim():
            theirs = [s for s, a in zip(ref.shape, out.axes) if a not in ("N", "1")]
            same = sorted(d for d in mine if d != 1) == sorted(d for d in theirs if d != 1)
        else:
            same = int(np.prod(mine)) * int(x.shape[0]) == ref.numel()
        if not same:
            raise ExportCheckError(f"output {out.name!r}: the file computes per-sample shape {mine}, PyTorch "
                                   f"{tuple(ref.shape)}")


def _find_convrun(convrun):
    if convrun:
        return str(convrun)
    return os.environ.get("CONVRUN") or shutil.which("convrun")


def _run_convrun(convrun, path, x, workdir, names):
    """Runs the file through convrun; returns its outputs in graph order, or (None, convrun's error)."""
    inp = os.path.join(workdir, "in.npy")
    np.save(inp, x.numpy().astype(np.float32))
    proc = subprocess.run([convrun, str(path), inp, "-o", os.path.join(workdir, "out.npy")],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        return None, proc.stderr.strip() or proc.stdout.strip()
    if len(names) == 1:
        return [np.load(os.path.join(workdir, "out.npy"))], None
    # With several outputs convrun writes NAME.out.npy for each.
    return [np.load(os.path.join(workdir, f"{name}.out.npy")) for name in names], None


def _compare(got, refs, outputs, batch, rtol, engine):
    worst = 0.0
    for i, (ref, out) in enumerate(zip(refs, outputs)):
        expect = _expected(ref, out, batch).numpy()
        mine = np.asarray(got[i], dtype=np.float32).reshape(batch, -1)
        if mine.shape != expect.shape:
            raise ExportCheckError(f"output {out.name!r}: {engine} gives {tuple(got[i].shape)}, PyTorch "
                                   f"{tuple(ref.shape)}")
        scale = max(float(np.abs(expect).max()), 1e-6)
        err = float(np.abs(mine - expect).max()) / scale
        if not np.isfinite(err) or err > rtol:
            raise ExportCheckError(f"output {out.name!r}: {engine} differs from PyTorch by {err:.3g} (max error "
                                   f"relative to the output's largest magnitude {scale:.3g}; tolerance {rtol:g})")
        worst = max(worst, err)
    return worst


def _check_reference(model, example, layout, refs, outputs, rtol):
    """The graph itself, run by the torch reference interpreter, against PyTorch: checks the mapping."""
    x = _c1d_input(example, layout)
    with torch.no_grad():
        got = [g.numpy() for g in reference_run(model, x)]
    return _compare(got, refs, outputs, int(x.shape[0]), rtol, "the exported graph (reference interpreter)")


def _check_run(convrun, path, example, layout, refs, outputs, rtol):
    """The written file through convrun against PyTorch (or, for f16/bf16 files, against the reference
    interpreter on the stored weights, since PyTorch ran with float32 weights)."""
    x = _c1d_input(example, layout)
    stored = c1dformat.load(path)
    with tempfile.TemporaryDirectory(prefix="c1d-check-") as workdir:
        got, error = _run_convrun(convrun, path, x, workdir, stored.graph["outputs"])
    if got is None:
        if "unknown op" in error:
            warnings.warn(f"convrun could not run the file ({error}); checked with the reference interpreter only",
                          CheckSkipped, stacklevel=3)
            return None
        raise ExportCheckError(f"convrun refused the exported file: {error}")
    if any(stored.encodings[name][0] != "f32" for name in stored.encodings):
        with torch.no_grad():
            refs = reference_run(stored, x)
        outputs = [_Flat(o.name) for o in outputs]
    return _compare(got, refs, outputs, int(x.shape[0]), rtol, "convrun")


def _fix_length_if_specific(module, example, result, rtol):
    """Shape arithmetic in forward() is evaluated at the example's length, so a graph can be right there
    and wrong at other lengths (a pad to a multiple of the stride, a crop to a computed length). The graph
    is tried at twice the example's length against PyTorch; if it disagrees, the file's input length is
    fixed to the example's (so that engines refuse other lengths) with a warning."""
    axis = result.layout.index("L")
    longer = torch.cat([example, example.flip(axis)], axis)
    length = int(example.shape[axis])
    try:
        with _eval_mode(module), torch.no_grad():
            refs = result.kept(_reference(module, longer))
    except ValueError:
        # The module itself runs at the example's length only (a Linear over a flattened (C, L)).
        return _fix_length(result, length, "the module itself does not run at twice that length")
    try:
        _check_reference(result.model, longer, result.layout, refs, result.outputs, rtol)
    except Exception:  # noqa: BLE001 - any disagreement or shape error means length-specific
        _fix_length(result, length, "shape arithmetic in forward() was evaluated there")


def _fix_length(result, length, why):
    result.model.graph["inputs"][0]["length"] = length
    result.model.metadata["export.length_specific"] = ("bool", True)
    warnings.warn(f"the exported graph holds only at the example's length {length} ({why}); the file's input "
                  "length is fixed to it", stacklevel=4)


class _Flat:
    """An output compared element by element in the file's own layout."""

    def __init__(self, name):
        self.name = name
        self.axes = ()


# ---------------------------------------------------------------------------------------------
# the entry point

def export(module: nn.Module, example_input: torch.Tensor, path, dtype: str = "f32", codec: str = "shuffle-deflate",
           level: int | None = None, *, name: str = "", description: str = "", license: str = "",
           fixed_length: bool = False, sample_rate: float | None = None, check=None, convrun=None,
           rtol: float = 1e-4, input_layout="auto") -> c1dformat.Model:
    """Writes `module` as a .c1d file at `path` and returns the exported model.

    The module is captured with torch.export (non-strict) on `example_input` ((N, C, L); see
    input_layout) in eval mode (each submodule's training flag and every buffer are restored afterwards);
    subgraphs of parameters only (weight norm, parametrizations, scales) are evaluated into constant
    tensors. Shape arithmetic in forward() is evaluated at the example's shape. An output PyTorch gives
    channels-last (N, L, C) is written (N, C, L): a warning says so and the metadata key
    `export.output_layout` records it. Outputs that do not depend on the input (lengths) are left out.

    Keywords:
      dtype: "f32" (default), "f16" or "bf16": how tensors are stored (computation is float32).
      codec: "shuffle-deflate" (default), "deflate" or "none" (raw, memory-mappable). Float weights
        compress better byte-shuffled: 16-20% smaller than "deflate" at f32. Each byte plane is deflated on its
        own and the mantissa planes, which deflate barely shrinks, are stored, so the file loads up to 2x
        faster than one deflate stream; "none" loads 1.1-3x faster still, and is 10-45% larger. "deflate"
        stores each 64 KiB piece it cannot shrink by 1/8: float32 weights shrink ~9%, so the file is about
        as large as "none"; pieces of zeros or pruned weights still shrink. A tensor no piece of which
        shrinks (nor, under "shuffle-deflate", any byte plane) is written as "none": the same bytes, used in
        place.
      level: zlib level for the deflate codecs (default 6).
      name, description, license: metadata strings (name defaults to the module's class name).
      fixed_length: record the example's length as the input's `length` (the model is meant for it).
        Without it, the check also runs the graph at twice the example's length, and fixes the length
        itself (with a warning) when the graph does not hold there.
      sample_rate: the input's sample rate in Hz, recorded in the file (None: unknown).
      check: compare the graph with PyTorch on the example, in the torch reference interpreter of .c1d
        graphs (c1d.export_reference) and, when a convrun binary is found (`convrun=`, $CONVRUN or PATH),
        by running the written file through it. None (default): convrun when found; True: require
        convrun; False: no checks beyond shapes. A file convrun cannot run because it does not know an
        op yet is kept, checked by the reference interpreter only, with a CheckSkipped warning.
      convrun: path of the convrun binary for the check.
      rtol: the check's tolerance: max |file - PyTorch| / max |PyTorch| per output (1e-4).
      input_layout: "auto", or the meaning of the example's axes, e.g. ("N", "C", "L"), ("C", "L")
        (unbatched), ("N", "L") (a batch of waveforms, one channel) or ("N", "L", "C") (features last,
        as speechbrain's models take them; the file's input is then (N, C, L)). "auto" tries (N, C, L),
        then (N, L, C) for a 3-D example, and (C, L), then (N, L) for a 2-D one.

    Raises UnsupportedOperation (naming the ATen op, the module path and the source line) for anything
    .c1d cannot express, and ExportCheckError when the file does not reproduce PyTorch's shapes or
    values. Nothing is left at `path` when export fails.
    """
    example = _as_example(example_input)
    runner = _find_convrun(convrun) if check is not False else None
    if check is True and not runner:
        raise ExportCheckError("check=True needs convrun: pass convrun=PATH, set CONVRUN or put it on PATH")
    with _eval_mode(module), torch.no_grad():
        refs = _reference(module, example)
        result = _build(module, example, name=name, description=description, license=license,
                        fixed_length=fixed_length, sample_rate=sample_rate, input_layout=input_layout)
    refs = result.kept(refs)
    _check_shapes(result.model, example, result.layout, refs, result.outputs)
    if check is not False and not fixed_length:
        _fix_length_if_specific(module, example, result, rtol)
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, staged = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".c1d", dir=directory)
    os.close(fd)
    try:
        c1dformat.save(result.model, staged, dtype=dtype, codec=codec, level=level)
        if check is not False:
            _check_reference(result.model, example, result.layout, refs, result.outputs, rtol)
        if runner:
            _check_run(runner, staged, example, result.layout, refs, result.outputs, rtol)
        os.replace(staged, path)
    finally:
        if os.path.exists(staged):
            os.unlink(staged)
    return result.model
