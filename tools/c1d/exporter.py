"""Export a torch.nn.Module of conv1d-network ops to a .c1d file (captured with torch.fx).

PyTorch is needed here only, never by the Swift package.
"""

from __future__ import annotations

import operator

import numpy as np
import torch
import torch.fx
import torch.nn as nn
import torch.nn.functional as F

from . import format as c1dformat


class UnsupportedOperation(ValueError):
    """The module uses something .c1d version 1 cannot express; the message names it."""


_PAD_MODULES = {
    nn.ConstantPad1d: "constant", nn.ZeroPad1d: "constant", nn.ReflectionPad1d: "reflect",
    nn.ReplicationPad1d: "replicate", nn.CircularPad1d: "circular",
}
_SIMPLE_MODULES = {nn.ReLU: "relu", nn.SiLU: "silu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid"}
_SIMPLE_FUNCTIONS = {
    F.relu: "relu", torch.relu: "relu", F.silu: "silu", torch.tanh: "tanh", F.tanh: "tanh",
    torch.sigmoid: "sigmoid", F.sigmoid: "sigmoid",
}
_SIMPLE_METHODS = {"relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid"}
_PASS_THROUGH_MODULES = (nn.Identity, nn.Dropout)


def _pair(value):
    return value[0] if isinstance(value, (tuple, list)) else value


class _Exporter:
    def __init__(self, module: nn.Module, example: torch.Tensor):
        self.module = module
        self.modules = dict(module.named_modules())
        self.nodes: list[dict] = []
        self.tensors: dict[str, np.ndarray] = {}
        self.values: dict[torch.fx.Node, str] = {}
        self.transposed: dict[torch.fx.Node, str] = {}
        self.channels = example.shape[-2]

    # -- helpers ------------------------------------------------------------------------------
    def emit(self, fx_node, op, inputs, attributes=None, params=None, name=None):
        name = name or fx_node.name
        taken = {n["name"] for n in self.nodes}
        base, k = name, 1
        while name in taken:
            name, k = f"{base}_{k}", k + 1
        roles = {}
        for role, tensor in (params or {}).items():
            tname = f"{name}.{role}"
            self.tensors[tname] = tensor.detach().to(torch.float32).cpu().numpy().copy()
            roles[role] = tname
        self.nodes.append({"name": name, "op": op, "inputs": inputs, "outputs": [name],
                           "attributes": attributes or {}, "params": roles})
        self.values[fx_node] = name
        return name

    def value(self, arg, where):
        if isinstance(arg, torch.fx.Node) and arg in self.values:
            return self.values[arg]
        if isinstance(arg, torch.fx.Node) and arg in self.transposed:
            raise UnsupportedOperation(f"{where}: a transposed (N, L, C) value is only supported around LayerNorm")
        raise UnsupportedOperation(f"{where}: unsupported operand {arg!r} (only tensors produced by the graph)")

    def fail(self, fx_node, what):
        raise UnsupportedOperation(
            f"unsupported op in node '{fx_node.name}': {what}. Supported: nn.Conv1d, pads, activations "
            "(ReLU, LeakyReLU, PReLU, ELU, GELU, SiLU, Tanh, Sigmoid), BatchNorm1d, GroupNorm, LayerNorm over "
            "channels, Max/AvgPool1d, AdaptiveAvgPool1d(1), Flatten, Linear, +, *, torch.cat(dim=1), "
            "slicing along time, F.pad")

    # -- modules ------------------------------------------------------------------------------
    def call_module(self, n):
        m = self.modules[n.target]
        name = n.target or n.name
        where = f"module '{n.target}' ({type(m).__name__})"
        if isinstance(m, _PASS_THROUGH_MODULES):
            self.values[n] = self.value(n.args[0], where)
            return
        if isinstance(m, nn.LayerNorm):
            arg = n.args[0]
            if arg not in self.transposed or len(m.normalized_shape) != 1:
                self.fail(n, f"{where} applied other than over channels via x.transpose(1, 2)")
            source = self.transposed[arg]
            params = {"weight": m.weight, "bias": m.bias} if m.elementwise_affine and m.bias is not None else {}
            if m.elementwise_affine and m.bias is None:
                self.fail(n, f"{where} without bias")
            attributes = {"num_channels": m.normalized_shape[0], "eps": float(m.eps),
                          "affine": bool(m.elementwise_affine)}
            self.emit(n, "layer_norm", [source], attributes, params, name)
            self.transposed[n] = self.values.pop(n)
            return
        x = self.value(n.args[0], where)
        if isinstance(m, nn.Conv1d):
            if isinstance(m.padding, str):
                padding = m.padding
            else:
                padding = _pair(m.padding)
            attributes = {"in_channels": m.in_channels, "out_channels": m.out_channels,
                          "kernel_size": _pair(m.kernel_size), "stride": _pair(m.stride), "padding": padding,
                          "dilation": _pair(m.dilation), "groups": m.groups, "bias": m.bias is not None,
                          "padding_mode": m.padding_mode}
            params = {"weight": m.weight}
            if m.bias is not None:
                params["bias"] = m.bias
            self.emit(n, "conv1d", [x], attributes, params, name)
        elif type(m) in _SIMPLE_MODULES:
            self.emit(n, _SIMPLE_MODULES[type(m)], [x], name=name)
        elif isinstance(m, nn.LeakyReLU):
            self.emit(n, "leaky_relu", [x], {"negative_slope": float(m.negative_slope)}, name=name)
        elif isinstance(m, nn.ELU):
            self.emit(n, "elu", [x], {"alpha": float(m.alpha)}, name=name)
        elif isinstance(m, nn.GELU):
            self.emit(n, "gelu", [x], {"approximate": m.approximate}, name=name)
        elif isinstance(m, nn.PReLU):
            self.emit(n, "prelu", [x], {"num_parameters": m.num_parameters}, {"weight": m.weight}, name)
        elif isinstance(m, nn.BatchNorm1d):
            if m.running_mean is None:
                self.fail(n, f"{where} without running statistics (track_running_stats=False)")
            params = {"running_mean": m.running_mean, "running_var": m.running_var}
            if m.affine:
                params.update(weight=m.weight, bias=m.bias)
            self.emit(n, "batch_norm", [x], {"num_features": m.num_features, "eps": float(m.eps),
                                              "affine": bool(m.affine)}, params, name)
        elif isinstance(m, nn.GroupNorm):
            params = {"weight": m.weight, "bias": m.bias} if m.affine else {}
            self.emit(n, "group_norm", [x], {"num_groups": m.num_groups, "num_channels": m.num_channels,
                                              "eps": float(m.eps), "affine": bool(m.affine)}, params, name)
        elif isinstance(m, nn.MaxPool1d):
            if m.return_indices:
                self.fail(n, f"{where} with return_indices")
            self.emit(n, "max_pool1d", [x], {"kernel_size": _pair(m.kernel_size), "stride": _pair(m.stride),
                                              "padding": _pair(m.padding), "dilation": _pair(m.dilation),
                                              "ceil_mode": bool(m.ceil_mode)}, name=name)
        elif isinstance(m, nn.AvgPool1d):
            self.emit(n, "avg_pool1d", [x], {"kernel_size": _pair(m.kernel_size), "stride": _pair(m.stride),
                                              "padding": _pair(m.padding), "ceil_mode": bool(m.ceil_mode),
                                              "count_include_pad": bool(m.count_include_pad)}, name=name)
        elif isinstance(m, nn.AdaptiveAvgPool1d):
            if _pair(m.output_size) != 1:
                self.fail(n, f"{where} with output_size {m.output_size} (only 1)")
            self.emit(n, "global_avg_pool1d", [x], name=name)
        elif isinstance(m, nn.Flatten):
            if m.start_dim != 1 or m.end_dim != -1:
                self.fail(n, f"{where} with start_dim={m.start_dim}, end_dim={m.end_dim} (only 1, -1)")
            self.emit(n, "flatten", [x], name=name)
        elif isinstance(m, nn.Linear):
            params = {"weight": m.weight}
            if m.bias is not None:
                params["bias"] = m.bias
            self.emit(n, "linear", [x], {"in_features": m.in_features, "out_features": m.out_features,
                                          "bias": m.bias is not None}, params, name)
        elif type(m) in _PAD_MODULES:
            left, right = m.padding if isinstance(m.padding, (tuple, list)) else (m.padding, m.padding)
            value = float(getattr(m, "value", 0.0))
            self.emit(n, "pad", [x], {"left": int(left), "right": int(right), "mode": _PAD_MODULES[type(m)],
                                       "value": value}, name=name)
        else:
            self.fail(n, where)

    # -- functions and methods ---------------------------------------------------------------
    def call_function(self, n):
        f = n.target
        where = f"function {getattr(f, '__name__', f)}"
        if f in _SIMPLE_FUNCTIONS:
            self.emit(n, _SIMPLE_FUNCTIONS[f], [self.value(n.args[0], where)])
        elif f in (operator.add, torch.add, operator.mul, torch.mul):
            op = "add" if f in (operator.add, torch.add) else "mul"
            self.emit(n, op, [self.value(n.args[0], where), self.value(n.args[1], where)])
        elif f is torch.cat:
            dim = n.args[1] if len(n.args) > 1 else n.kwargs.get("dim", 0)
            if dim not in (1, -2):
                self.fail(n, f"torch.cat along dim {dim} (only channels, dim=1)")
            self.emit(n, "concat", [self.value(a, where) for a in n.args[0]])
        elif f is F.pad:
            pad = n.args[1] if len(n.args) > 1 else n.kwargs["pad"]
            mode = n.args[2] if len(n.args) > 2 else n.kwargs.get("mode", "constant")
            value = n.args[3] if len(n.args) > 3 else n.kwargs.get("value", None)
            if len(pad) != 2:
                self.fail(n, f"F.pad with {len(pad)} pad values (only time: (left, right))")
            self.emit(n, "pad", [self.value(n.args[0], where)], {"left": int(pad[0]), "right": int(pad[1]),
                                                                 "mode": mode, "value": float(value or 0.0)})
        elif f is F.gelu:
            self.emit(n, "gelu", [self.value(n.args[0], where)], {"approximate": n.kwargs.get("approximate", "none")})
        elif f is F.leaky_relu:
            slope = n.args[1] if len(n.args) > 1 else n.kwargs.get("negative_slope", 0.01)
            self.emit(n, "leaky_relu", [self.value(n.args[0], where)], {"negative_slope": float(slope)})
        elif f is F.elu:
            alpha = n.args[1] if len(n.args) > 1 else n.kwargs.get("alpha", 1.0)
            self.emit(n, "elu", [self.value(n.args[0], where)], {"alpha": float(alpha)})
        elif f is operator.getitem:
            self.slice(n)
        elif f in (torch.flatten,):
            start = n.args[1] if len(n.args) > 1 else n.kwargs.get("start_dim", 0)
            if start != 1:
                self.fail(n, f"torch.flatten with start_dim={start} (only 1)")
            self.emit(n, "flatten", [self.value(n.args[0], where)])
        elif f is torch.transpose:
            self.transpose(n, n.args[1:3])
        elif f is F.adaptive_avg_pool1d and _pair(n.args[1]) == 1:
            self.emit(n, "global_avg_pool1d", [self.value(n.args[0], where)])
        else:
            self.fail(n, where)

    def call_method(self, n):
        where = f"method .{n.target}()"
        if n.target in _SIMPLE_METHODS:
            self.emit(n, _SIMPLE_METHODS[n.target], [self.value(n.args[0], where)])
        elif n.target == "transpose":
            self.transpose(n, n.args[1:3])
        elif n.target in ("add", "mul"):
            self.emit(n, n.target, [self.value(n.args[0], where), self.value(n.args[1], where)])
        elif n.target == "mean":
            dim = n.args[1] if len(n.args) > 1 else n.kwargs.get("dim")
            keepdim = n.args[2] if len(n.args) > 2 else n.kwargs.get("keepdim", False)
            if dim not in (-1, 2, (-1,), (2,), [-1], [2]):
                self.fail(n, f".mean(dim={dim}) (only over time, dim=-1)")
            pooled = self.emit(n, "global_avg_pool1d", [self.value(n.args[0], where)],
                               name=n.name + ("" if keepdim else "_pool"))
            if not keepdim:
                self.nodes.append({"name": n.name, "op": "flatten", "inputs": [pooled], "outputs": [n.name],
                                   "attributes": {}, "params": {}})
                self.values[n] = n.name
        elif n.target in ("flatten", "view", "reshape") and n.target == "flatten":
            start = n.args[1] if len(n.args) > 1 else n.kwargs.get("start_dim", 0)
            if start != 1:
                self.fail(n, f".flatten({start}) (only start_dim=1)")
            self.emit(n, "flatten", [self.value(n.args[0], where)])
        elif n.target == "contiguous":
            source = n.args[0]
            if source in self.transposed:
                self.transposed[n] = self.transposed[source]
            else:
                self.values[n] = self.value(source, where)
        else:
            self.fail(n, where)

    def transpose(self, n, dims):
        dims = tuple(sorted(d % 3 for d in dims))
        if dims != (1, 2):
            self.fail(n, f"transpose of dims {dims} (only (1, 2) around LayerNorm)")
        source = n.args[0]
        if source in self.transposed:
            self.values[n] = self.transposed[source]
        else:
            self.transposed[n] = self.value(source, "transpose")

    def slice(self, n):
        x, index = n.args
        where = "indexing"
        if not isinstance(index, tuple):
            self.fail(n, f"indexing with {index!r}")
        if index and index[0] is Ellipsis:
            index = (slice(None), slice(None)) + index[1:]
        if len(index) != 3 or index[0] != slice(None) or index[1] != slice(None) or not isinstance(index[2], slice):
            self.fail(n, f"indexing with {index!r} (only x[:, :, start:stop] along time)")
        s = index[2]
        if s.step not in (None, 1):
            self.fail(n, f"slice step {s.step}")
        self.emit(n, "slice", [self.value(x, where)], {"start": s.start or 0, "stop": s.stop})

    def run(self, graph: torch.fx.Graph):
        inputs, outputs = [], []
        for n in graph.nodes:
            if n.op == "placeholder":
                if inputs:
                    raise UnsupportedOperation("models with more than one input are not supported by export()")
                self.values[n] = "input"
                inputs.append(n)
            elif n.op == "call_module":
                self.call_module(n)
            elif n.op == "call_function":
                self.call_function(n)
            elif n.op == "call_method":
                self.call_method(n)
            elif n.op == "get_attr":
                self.fail(n, f"direct use of parameter '{n.target}'")
            elif n.op == "output":
                result = n.args[0]
                results = result if isinstance(result, (tuple, list)) else [result]
                outputs = [self.value(r, "output") for r in results]
        return outputs


def to_model(module: nn.Module, example_input: torch.Tensor, *, name: str = "", description: str = "",
             license: str = "", fixed_length: bool = False, sample_rate: float | None = None) -> c1dformat.Model:
    """Captures `module` with torch.fx and converts it to a c1d Model (f32 tensors)."""
    module = module.eval()
    if example_input.dim() not in (2, 3):
        raise ValueError(f"example_input must be (C, L) or (N, C, L), got {tuple(example_input.shape)}")
    tracer = torch.fx.Tracer()
    if tracer.is_leaf_module(module, ""):
        # A bare layer (nn.Conv1d itself): trace it as the only child of a container.
        module = nn.Sequential(module)
    traced = torch.fx.symbolic_trace(module)
    exporter = _Exporter(module, example_input)
    name = name or type(module[0] if isinstance(module, nn.Sequential) and len(module) == 1 else module).__name__
    outputs = exporter.run(traced.graph)
    graph = {"inputs": [{"name": "input", "channels": int(example_input.shape[-2]),
                         "length": int(example_input.shape[-1]) if fixed_length else None,
                         "sample_rate": sample_rate}],
             "outputs": outputs, "nodes": exporter.nodes}
    metadata = {"name": ("string", name), "description": ("string", description),
                "producer": ("string", f"c1d.export (torch {torch.__version__})"), "license": ("string", license)}
    return c1dformat.Model(graph=graph, tensors=exporter.tensors, metadata=metadata)


def export(module: nn.Module, example_input: torch.Tensor, path, dtype: str = "f32", codec: str = "deflate",
           level: int | None = None, **model_options) -> c1dformat.Model:
    """Writes `module` as a .c1d file at `path`; returns the exported model.

    Raises UnsupportedOperation naming the first op .c1d cannot express.
    """
    model = to_model(module, example_input, **model_options)
    c1dformat.save(model, path, dtype=dtype, codec=codec, level=level)
    return model
