"""ATen graph (from torch.export) -> .c1d graph.

Every value of the captured graph is one of:
- a constant: a torch.Tensor or Python scalar that depends only on parameters, buffers and constants.
  Such subgraphs are evaluated with torch on the real parameter values (weight norm, Snake's 1/alpha,
  learnable scales...), never read from cached module attributes;
- a `Val`: a .c1d value plus `axes`, which says what each dimension of the real PyTorch tensor is
  ('N' batch, 'C' channels, 'L' time, 'F' features, '1' an inserted size-1 axis). A c1d sequence is
  (C, L) with C or L taken as 1 when its axis is absent; this lets transposes, squeezes, unsqueezes and
  views cost nothing and be resolved only where an op needs a particular layout;
- a `Group`: Vals side by side along an axis .c1d has no axis for (sources of a separation model,
  torch.stack results); ops apply item by item, and views, selects and sums over that axis resolve it.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

import torch

from .export_errors import UnsupportedOperation

_INT_MAX = 2 ** 62


@dataclass(frozen=True)
class Val:
    name: str
    axes: tuple  # one label per real dimension
    shape: tuple  # the real (PyTorch) shape at the example

    def size(self, label):
        return self.shape[self.axes.index(label)] if label in self.axes else 1

    @property
    def is_features(self):
        return "F" in self.axes

    def c1d_shape(self):
        return (self.size("F"),) if self.is_features else (self.size("C"), self.size("L"))


@dataclass(frozen=True)
class Group:
    """Tensors side by side along a real axis that .c1d has no axis for: the sources of a separation
    model ((N, S, C, L) viewed from (N, S·C, L)), or a torch.stack. `dim` is that axis in the real
    tensor; with `merged` it is folded into the batch ((N·S, C, L), source-minor) and every item is a
    whole (N, C, L) tensor, so any op applies item by item."""

    items: tuple
    dim: int
    merged: bool = False

    @property
    def shape(self):
        shape = list(self.items[0].shape)
        if self.merged:
            shape[0] *= len(self.items)
        else:
            shape.insert(self.dim, len(self.items))
        return tuple(shape)


@dataclass(frozen=True)
class Broadcast:
    """`val` expanded (expand/repeat) over size-1 axes to `shape`. Broadcasting ops read `val` itself; a
    concatenation materialises it against a sibling operand of the full length."""

    val: Val
    shape: tuple


_BROADCASTING = {"add", "sub", "rsub", "mul", "div", "true_divide", "pow", "maximum", "minimum"}


def _is_value(x):
    if isinstance(x, (Val, Group, Broadcast)):
        return True
    if isinstance(x, (list, tuple)):
        return any(_is_value(a) for a in x)
    return False


# Ops that are the identity in inference (dropout of every kind, copies, dtype no-ops, aliases).
_IDENTITY = {
    "dropout", "feature_dropout", "alpha_dropout", "feature_alpha_dropout", "native_dropout", "clone",
    "contiguous", "detach", "alias", "lift_fresh_copy", "_to_copy", "to", "type_as", "_assert_tensor_metadata",
    "dropout1d", "dropout2d", "identity",
}
_UNARY = {
    "relu": "relu", "silu": "silu", "tanh": "tanh", "sigmoid": "sigmoid", "abs": "abs", "neg": "neg",
    "exp": "exp", "log": "log", "sqrt": "sqrt", "rsqrt": "rsqrt", "square": "square",
    "reciprocal": "reciprocal", "sin": "sin", "cos": "cos", "mish": "mish", "hardswish": "hardswish",
    "hardsigmoid": "hardsigmoid",
}
_REDUCE = {"mean": "mean", "sum": "sum", "amax": "max", "amin": "min", "var": "var", "std": "std",
           "max": "max", "min": "min"}
_REFUSED = {
    "lstm": "recurrent layers (LSTM) have no .c1d op", "gru": "recurrent layers (GRU) have no .c1d op",
    "rnn_tanh": "recurrent layers (RNN) have no .c1d op", "rnn_relu": "recurrent layers (RNN) have no .c1d op",
    "scaled_dot_product_attention": "attention has no .c1d op",
    "_scaled_dot_product_flash_attention_for_cpu": "attention has no .c1d op",
    "_native_multi_head_attention": "attention has no .c1d op",
    "bmm": "a matrix product of two activations (attention-like) has no .c1d op",
    "baddbmm": "a matrix product of two activations (attention-like) has no .c1d op",
    "einsum": "einsum over activations has no .c1d op",
    "embedding": "embeddings have no .c1d op",
}
# Ops that know about Groups themselves; every other op is mapped over the items.
_GROUP_AWARE = {"view", "reshape", "_unsafe_view", "flatten", "unflatten", "select", "unbind", "sum", "mean",
                "stack", "squeeze", "unsqueeze", "cat", "permute", "transpose", "softmax", "_softmax"}
# Ops that may be mapped over the items of a Group whose axis is not folded into the batch.
_ITEMWISE = set(_UNARY) | _IDENTITY | {
    "add", "sub", "rsub", "mul", "div", "true_divide", "pow", "maximum", "minimum", "gelu", "leaky_relu", "elu",
    "selu", "celu", "softplus", "log_sigmoid", "hardtanh", "relu6", "clamp", "clamp_min", "clamp_max", "slice",
    "narrow", "expand", "pad", "constant_pad_nd", "reflection_pad1d", "replication_pad1d"}
_DIM_ARG = {"slice", "narrow"}
_MODULE_HINTS = ("LSTM", "GRU", "RNN", "Attention", "Transformer", "Conformer")


class Converter:
    """Walks an ExportedProgram (after functionalisation) and builds .c1d nodes and tensors."""

    def __init__(self, program, input_axes, input_shape):
        self.program = program
        self.nodes: list[dict] = []
        self.tensors: dict = {}
        self.taken: set = {"input"}
        self.env: dict = {}
        self.input = Val("input", tuple(input_axes), tuple(input_shape))
        self.node = None  # the FX node being converted, for error messages
        self.origin = {}  # value name -> how it was computed, to recognise hand-written norms
        self.dropped_outputs = []  # indices (among non-None outputs) of constant outputs left out
        self.group_outputs = {}  # output name -> the real axis its sources were joined from
        self.shape_override = None  # an item's result shape while an op is mapped over a Group
        self.progress = 0  # how many graph nodes were converted: which reading of the input went furthest

    # -- entry --------------------------------------------------------------------------------
    def run(self):
        self.bind_inputs()
        outputs = []
        for node in self.program.graph.nodes:
            self.node = node
            self.progress += 1
            if node.op == "placeholder":
                continue
            if node.op == "output":
                outputs = self.collect_outputs(self.user_outputs(node.args[0]))
                continue
            if node.op != "call_function":
                self.refuse(f"FX node kind {node.op!r}")
            args = self.resolve(node.args)
            kwargs = self.resolve(node.kwargs)
            if not _is_value(args) and not _is_value(kwargs):
                self.env[node] = self.fold(node, args, kwargs)
            else:
                self.env[node] = self.convert(node, args, kwargs)
        return outputs

    def bind_inputs(self):
        program = self.program
        users = 0
        state = program.state_dict
        constants = getattr(program, "constants", {})
        placeholders = {n.name: n for n in program.graph.nodes if n.op == "placeholder"}
        for spec in program.graph_signature.input_specs:
            node = placeholders[spec.arg.name]
            kind = spec.kind.name
            if kind == "USER_INPUT":
                if users:
                    raise UnsupportedOperation("the module takes more than one tensor input; .c1d export "
                                               "supports one (N, C, L) input", hint="wrap the module so that "
                                               "forward takes one tensor")
                self.env[node] = self.input
                users += 1
            elif kind in ("PARAMETER", "BUFFER"):
                value = state[spec.target] if spec.target in state else constants[spec.target]
                self.env[node] = value.detach()
            elif kind == "CONSTANT_TENSOR":
                self.env[node] = constants[spec.target].detach()
            elif kind == "TOKEN":
                self.env[node] = None
            else:
                raise UnsupportedOperation(f"input {spec.arg.name!r} of kind {kind} (e.g. a TorchScript object) "
                                           "is not supported")

    def resolve(self, a):
        if isinstance(a, torch.fx.Node):
            return self.env[a]
        if isinstance(a, (list, tuple)):
            return type(a)(self.resolve(x) for x in a)
        if isinstance(a, dict):
            return {k: self.resolve(v) for k, v in a.items()}
        return a

    def fold(self, node, args, kwargs):
        # Only parameters, buffers and constants reach here: evaluate with torch on the real values.
        with torch.no_grad():
            return node.target(*args, **kwargs)

    def user_outputs(self, results):
        """The module's own outputs: functionalisation appends the new values of buffers that forward()
        mutates (counters, caches), which are not the network's outputs."""
        results = results if isinstance(results, (list, tuple)) else [results]
        specs = self.program.graph_signature.output_specs
        if len(specs) != len(results):
            return results
        return [r for r, spec in zip(results, specs) if spec.kind.name == "USER_OUTPUT"]

    def collect_outputs(self, result):
        results = result if isinstance(result, (list, tuple)) else [result]
        values = [self.env[r] if isinstance(r, torch.fx.Node) else r for r in results]
        outs = []
        values = [v for v in values if v is not None]
        for index, v in enumerate(values):
            if isinstance(v, Group):
                dim = v.dim
                v = self.join(v)
                self.group_outputs[v.name] = dim
            if isinstance(v, Broadcast):
                self.refuse("an expanded (broadcast) tensor as an output")
            if not isinstance(v, Val):
                # Lengths or other constants returned beside the result: not part of the network.
                self.dropped_outputs.append(index)
                continue
            outs.append(self.output_value(v))
        if not outs:
            raise UnsupportedOperation("the module returns no tensor computed from its input",
                                       hint="return the network's output tensor")
        return outs

    def output_value(self, v):
        # PyTorch drops size-1 axes with squeeze/view; flatten so the file's output has PyTorch's rank.
        real = [a for a in v.axes if a != "1"]
        if v.is_features or real in (["N", "C", "L"], ["C", "L"]):
            return v
        if real in (["N", "C"], ["N", "L"], ["C"], ["L"]):
            return self.flatten(v)
        return v  # channels-last (N, L, C): reported by the exporter as a transposed output

    # -- emitting -----------------------------------------------------------------------------
    def unique(self, base):
        name, k = base, 1
        while name in self.taken:
            name, k = f"{base}_{k}", k + 1
        self.taken.add(name)
        return name

    def base_name(self, op):
        stack = self.node.meta.get("nn_module_stack") if self.node is not None else None
        if stack:
            path = list(stack.values())[-1][0]
            path = path.replace("L['self'].", "").replace("L__self___", "")
            if path:
                return path if not self.module_has(path) else f"{path}.{op}"
        return self.node.name if self.node is not None else op

    def module_has(self, path):
        return path in self.taken

    def emit(self, op, inputs, attributes=None, params=None, outputs=1):
        base = self.base_name(op)
        name = self.unique(base)
        roles = {}
        for role, tensor in (params or {}).items():
            tname = f"{name}.{role}"
            array = torch.as_tensor(tensor).detach().to(torch.float32).cpu().contiguous().numpy().copy()
            self.tensors[tname] = array
            roles[role] = tname
        names = [name] if outputs == 1 else [self.unique(f"{name}.{i}") for i in range(outputs)]
        self.nodes.append({"name": name, "op": op, "inputs": list(inputs), "outputs": names,
                           "attributes": attributes or {}, "params": roles})
        return names[0] if outputs == 1 else names

    def out(self, name, axes=None, like=None):
        """The Val for the current node's output, named `name`, with the node's real shape."""
        shape = self.result_shape()
        axes = tuple(axes if axes is not None else like.axes)
        if len(axes) != len(shape):
            self.refuse(f"internal: {len(axes)} axis labels for a rank-{len(shape)} result")
        return Val(name, axes, shape)

    def result_shape(self):
        if self.shape_override is not None:
            return self.shape_override
        val = self.node.meta["val"]
        if isinstance(val, (list, tuple)):
            val = val[0]
        return tuple(val.shape)

    def same(self, op, x, attributes=None):
        """A shape-keeping op on `x` inside a decomposition (the node's own result shape may differ)."""
        return Val(self.emit(op, [x.name], attributes or {}), x.axes, x.shape)

    def refuse(self, what, hint=None):
        inside = self.unsupported_module()
        if inside and inside not in what:
            what = f"{what} (inside {inside})"
        error = UnsupportedOperation(what, node=self.node, hint=hint)
        error.progress = self.progress
        raise error

    # -- layout helpers -----------------------------------------------------------------------
    def seq(self, v, what):
        """Checks that `v` is laid out (N, C, L) (or (C, L)) as PyTorch's conv-family ops expect."""
        if isinstance(v, Group):
            self.refuse(f"{what} of a tensor with a source/stack axis .c1d cannot hold")
        if not isinstance(v, Val):
            self.refuse(f"{what} of a constant")
        if v.is_features:
            self.refuse(f"{what} of flattened features (N, F); it needs a sequence (N, C, L)")
        axes, shape = list(v.axes), list(v.shape)
        if axes and axes[0] == "N":
            axes, shape = axes[1:], shape[1:]
        if len(axes) != 2:
            self.refuse(f"{what} of a rank-{len(v.axes)} tensor with axes {v.axes}; expected (N, C, L)")
        for label, size, want in zip(axes, shape, ("C", "L")):
            if label != want and not (size == 1 and v.size(want) == 1):
                self.refuse(f"{what} of a tensor laid out as {self.layout(v)}; .c1d needs (N, C, L) here",
                            hint="transpose back to (N, C, L) before this op")
        return v

    @staticmethod
    def layout(v):
        return "(" + ", ".join(v.axes) + ")"

    def label(self, v, dim):
        return v.axes[dim % len(v.axes)]

    def flatten(self, v):
        name = self.emit("flatten", [v.name])
        n = v.size("N")
        f = 1
        for a, s in zip(v.axes, v.shape):
            if a != "N":
                f *= s
        axes, shape = (("N", "F"), (n, f)) if "N" in v.axes else (("F",), (f,))
        return Val(name, axes, shape)

    def constant(self, value, c1d_shape):
        t = torch.as_tensor(value, dtype=torch.float32).reshape(c1d_shape)
        return self.emit("constant", [], {}, {"value": t})

    # -- dispatch -----------------------------------------------------------------------------
    def convert(self, node, args, kwargs):
        target = node.target
        if target is operator.getitem:
            seq, index = args
            return seq[index]
        packet = getattr(target, "overloadpacket", None)
        op = getattr(packet, "__name__", getattr(target, "__name__", str(target)))
        overload = getattr(target, "_overloadname", "")
        op_base = op.rstrip("_") if op.endswith("_") and not op.startswith("_") else op
        if op_base in _REFUSED:
            self.refuse(_REFUSED[op_base], hint=self.module_hint())
        if op_base in _IDENTITY:
            return self.identity(op_base, args, kwargs)
        if op_base in _UNARY:
            handler = self.unary(_UNARY[op_base])
        else:
            handler = getattr(self, "op_" + op_base, None)
        if handler is None:
            self.refuse(f"no .c1d op for aten.{op}.{overload or 'default'}", hint=self.module_hint())
        if any(isinstance(a, Broadcast) for a in _flat(args)):
            args = self.resolve_broadcasts(op_base, args)
        groups = [a for a in _flat(args) if isinstance(a, Group)]
        if groups and op_base not in _GROUP_AWARE:
            return self.map_op(op_base, handler, overload, groups[0], args, kwargs)
        return handler(overload, *args, **kwargs)

    def map_op(self, op, handler, overload, group, args, kwargs):
        """Applies an op to each item of a Group (the sources of a separation model)."""
        if not group.merged and op not in _ITEMWISE:
            self.refuse(f"{op} of a tensor with a source/stack axis at dim {group.dim}",
                        hint="fold the source axis into the batch before such ops")
        if not group.merged and op in _DIM_ARG:
            args = list(args)
            d = args[1] % len(group.shape)
            if d == group.dim:
                self.refuse(f"{op} along a source/stack axis")
            args[1] = d - (1 if d > group.dim else 0)
        return self.map_items(handler, overload, group, args, kwargs)

    def map_items(self, handler, overload, group, args, kwargs):
        results = []
        for i in range(len(group.items)):
            item_args = [self.item_of(a, group, i) for a in args]
            item_kwargs = {k: self.item_of(v, group, i) for k, v in kwargs.items()}
            self.shape_override = self.item_shape(group)
            try:
                results.append(handler(overload, *item_args, **item_kwargs))
            finally:
                self.shape_override = None
        if isinstance(results[0], tuple):
            return tuple(Group(tuple(r[j] for r in results), group.dim, group.merged) if results[0][j] is not None
                         else None for j in range(len(results[0])))
        return Group(tuple(results), group.dim, group.merged)

    def map_group(self, fn, group, *args, **kwargs):
        results = [fn(item, *args, **kwargs) for item in group.items]
        return Group(tuple(results), group.dim, group.merged)

    def item_of(self, a, group, i):
        if isinstance(a, Group):
            if len(a.items) != len(group.items) or a.merged != group.merged or a.dim != group.dim:
                self.refuse("an op on tensors with different source/stack axes")
            return a.items[i]
        if isinstance(a, (list, tuple)):
            return type(a)(self.item_of(x, group, i) for x in a)
        if isinstance(a, Val) and not group.merged and len(a.axes) == len(group.shape):
            d = group.dim
            if a.shape[d] != 1:
                self.refuse("an op between a tensor with a source axis and one that varies along it")
            return Val(a.name, a.axes[:d] + a.axes[d + 1:], a.shape[:d] + a.shape[d + 1:])
        if isinstance(a, Val) and group.merged:
            self.refuse("an op between sources folded into the batch and an ordinary tensor")
        return a

    def item_shape(self, group):
        shape = list(self.result_shape())
        if group.merged:
            shape[0] //= len(group.items)
        else:
            del shape[group.dim]
        return tuple(shape)

    def unary(self, op):
        def handler(_, x, *rest, **kwargs):
            x = self.value(x)
            return self.note(self.out(self.emit(op, [x.name]), like=x), op, x)
        return handler

    def unsupported_module(self):
        """The innermost enclosing recurrent/attention module, if any: the real reason behind most refusals
        there (the model's own root is not named, only its parts)."""
        stack = (self.node.meta.get("nn_module_stack") or {}) if self.node is not None else {}
        for path, kind in reversed(list(stack.values())):
            name = kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))
            name = name.rsplit(".", 1)[-1]
            path = path.replace("L['self'].", "").replace("L__self___", "")
            if path and path != "L['self']" and any(h in name for h in _MODULE_HINTS):
                return f"{name} at {path}: recurrent and attention layers have no .c1d ops"
        return None

    def module_hint(self):
        stack = self.node.meta.get("nn_module_stack") or {}
        for path, kind in stack.values():
            name = kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))
            if any(h in name for h in _MODULE_HINTS):
                return f"it comes from {name} ({path}), which .c1d (a conv network format) cannot express"
        return "express the model with the ops of schema/FORMAT.md §6 and schema/OPS-1.1.md"

    def value(self, v):
        if not isinstance(v, Val):
            self.refuse(f"operand {type(v).__name__} where an activation was expected")
        return v

    def identity(self, op, args, kwargs):
        x = args[0]
        if op in ("_to_copy", "to"):
            dtype = kwargs.get("dtype")
            if dtype is None:
                dtype = next((a for a in args[1:] if isinstance(a, torch.dtype)), None)
            if dtype not in (None, torch.float32):
                self.refuse(f"conversion to {dtype} (.c1d computes in float32)")
        if op == "_assert_tensor_metadata":
            return None
        if op == "native_dropout":
            return (x, None)
        return x

    # -- elementwise --------------------------------------------------------------------------
    def op_gelu(self, _, x, approximate="none"):
        return self.out(self.emit("gelu", [x.name], {"approximate": approximate}), like=x)

    def op_leaky_relu(self, _, x, negative_slope=0.01):
        return self.out(self.emit("leaky_relu", [x.name], {"negative_slope": float(negative_slope)}), like=x)

    def op_elu(self, _, x, alpha=1.0, scale=1.0, input_scale=1.0):
        if input_scale != 1.0:
            self.refuse(f"elu with input_scale={input_scale}")
        y = self.out(self.emit("elu", [x.name], {"alpha": float(alpha)}), like=x)
        return y if scale == 1.0 else self.binary("mul", y, float(scale))

    def op_selu(self, _, x):
        return self.op_elu(_, x, 1.6732632423543772848170429916717, 1.0507009873554804934193349852946)

    def op_celu(self, _, x, alpha=1.0):
        if alpha != 1.0:
            self.refuse(f"celu with alpha={alpha}")
        return self.op_elu(_, x, 1.0)

    def op_softplus(self, _, x, beta=1.0, threshold=20.0):
        return self.out(self.emit("softplus", [x.name], {"beta": float(beta), "threshold": float(threshold)}),
                        like=x)

    def op_log_sigmoid(self, _, x):
        # log σ(x) = −softplus(−x)
        n = self.same("neg", x)
        return self.same("neg", self.same("softplus", n, {"beta": 1.0, "threshold": 20.0}))

    def op_log_sigmoid_forward(self, _, x):
        return (self.op_log_sigmoid(_, x), None)

    def clamp(self, x, lo, hi):
        if lo is None and hi is None:
            return x
        attrs = {"min": None if lo is None else float(lo), "max": None if hi is None else float(hi)}
        return self.out(self.emit("clamp", [x.name], attrs), like=x)

    def op_rrelu_with_noise(self, _, x, noise=None, lower=1 / 8, upper=1 / 3, training=False, generator=None):
        if training:
            self.refuse("RReLU in training mode")
        return self.op_leaky_relu(_, x, (lower + upper) / 2)

    def op_rrelu(self, _, x, lower=1 / 8, upper=1 / 3, training=False, generator=None):
        return self.op_rrelu_with_noise(_, x, None, lower, upper, training)

    def op_hardtanh(self, _, x, min_val=-1.0, max_val=1.0):
        return self.clamp(x, min_val, max_val)

    def op_relu6(self, _, x):
        return self.clamp(x, 0.0, 6.0)

    def op_clamp(self, overload, x, min=None, max=None):
        if isinstance(min, (Val, torch.Tensor)) or isinstance(max, (Val, torch.Tensor)):
            lo = self.binary("maximum", x, min) if min is not None else x
            return self.binary("minimum", lo, max) if max is not None else lo
        return self.clamp(x, min, max)

    def op_clamp_min(self, _, x, lo):
        return self.op_clamp(_, x, lo, None)

    def op_clamp_max(self, _, x, hi):
        return self.op_clamp(_, x, None, hi)

    def op_prelu(self, _, x, weight):
        w = torch.as_tensor(weight).reshape(-1)
        if w.numel() > 1 and not x.is_features:
            self.seq(x, "prelu with one slope per channel")  # PyTorch's slopes follow dim 1
        return self.out(self.emit("prelu", [x.name], {"num_parameters": int(w.numel())}, {"weight": w}), like=x)

    def op__prelu_kernel(self, _, x, weight):
        return self.op_prelu(_, x, weight)

    # -- broadcasting binary ops --------------------------------------------------------------
    def op_add(self, overload, a, b, alpha=1):
        if alpha != 1:
            b = self.binary("mul", b, alpha) if isinstance(b, Val) else b * alpha
        return self.binary("add", a, b)

    def op_sub(self, overload, a, b, alpha=1):
        if alpha != 1:
            b = self.binary("mul", b, alpha) if isinstance(b, Val) else b * alpha
        return self.binary("sub", a, b)

    def op_rsub(self, overload, a, b, alpha=1):
        return self.op_sub(overload, b, a, alpha)

    def op_mul(self, _, a, b):
        return self.binary("mul", a, b)

    def op_div(self, overload, a, b, rounding_mode=None):
        if rounding_mode is not None:
            self.refuse(f"division with rounding_mode={rounding_mode!r}")
        return self.binary("div", a, b)

    def op_true_divide(self, _, a, b):
        return self.binary("div", a, b)

    def op_maximum(self, _, a, b):
        return self.binary("maximum", a, b)

    def op_minimum(self, _, a, b):
        return self.binary("minimum", a, b)

    def op_pow(self, overload, a, b):
        if isinstance(a, Val) and isinstance(b, (int, float)):
            special = {2: "square", 0.5: "sqrt", -0.5: "rsqrt", -1: "reciprocal"}
            if b == 1:
                return a
            if b in special:
                return self.note(self.same(special[b], a), special[b], a)
        return self.binary("pow", a, b)

    def binary(self, op, a, b):
        norm = self.recognise_norm(op, a, b)
        if norm is not None:
            return norm
        result = self.binary_op(op, a, b)
        if result is a or result is b:
            return result  # a neutral operand (x + 0, x · 1): nothing was computed
        return self.note_binary(op, a, b, result)

    def binary_op(self, op, a, b):
        if isinstance(a, Val) and isinstance(b, Val):
            axes = self.broadcast_axes(a, b)
            return Val(self.emit(op, [a.name, b.name]), axes, tuple(torch.broadcast_shapes(a.shape, b.shape)))
        if not isinstance(a, Val) and not isinstance(b, Val):
            self.refuse(f"{op} of {type(a).__name__} and {type(b).__name__}")
        x = a if isinstance(a, Val) else b
        c = b if isinstance(a, Val) else a
        shape = tuple(torch.broadcast_shapes(x.shape, tuple(torch.as_tensor(c).shape)))
        neutral = 0 if op in ("add", "sub") else 1 if op in ("mul", "div") else None
        if neutral is not None and (op in ("add", "mul") or x is a) and shape == x.shape and \
                bool((torch.as_tensor(c) == neutral).all()):
            return x  # x + 0, x · 1 (a running sum started at 0.0)
        if len(shape) != len(x.axes):
            self.refuse(f"{op} with a constant of higher rank {tuple(torch.as_tensor(c).shape)} than the "
                        f"activation {x.shape}")
        name = self.const_operand(c, x)
        inputs = [x.name, name] if x is a else [name, x.name]
        return Val(self.emit(op, inputs), x.axes, shape)

    def broadcast_axes(self, a, b):
        rank = max(len(a.axes), len(b.axes))
        pa = ("1",) * (rank - len(a.axes)) + tuple(l if s != 1 else "1" for l, s in zip(a.axes, a.shape))
        pb = ("1",) * (rank - len(b.axes)) + tuple(l if s != 1 else "1" for l, s in zip(b.axes, b.shape))
        full_a = ("1",) * (rank - len(a.axes)) + a.axes
        full_b = ("1",) * (rank - len(b.axes)) + b.axes
        axes = []
        for x, y, fx, fy in zip(pa, pb, full_a, full_b):
            if x != "1" and y != "1" and x != y:
                self.refuse(f"broadcast of {self.layout(a)} with {self.layout(b)}: their axes {x} and {y} meet; "
                            ".c1d broadcasts channels with channels and time with time only")
            axes.append(x if x != "1" else y if y != "1" else (fx if fx != "1" else fy))
        if a.is_features != b.is_features:
            self.refuse("a broadcast of features (N, F) with a sequence (N, C, L)")
        return tuple(axes)

    def const_operand(self, c, x):
        """A constant broadcast against activation `x`, as a (C, L) `constant` node."""
        t = torch.as_tensor(c, dtype=torch.float32)
        if t.dim() > len(x.axes):
            t = self.squeeze_leading(t, len(x.axes))
        t = t.reshape((1,) * (len(x.axes) - t.dim()) + tuple(t.shape))
        keep = {}
        for dim, label in enumerate(x.axes):
            size = t.shape[dim]
            if label in ("N", "1") or size == 1:
                if size != 1:
                    first = t.narrow(dim, 0, 1)
                    if not torch.equal(first.expand_as(t), t):
                        self.refuse(f"a constant {tuple(t.shape)} that varies along the batch axis")
                    t = first
                continue
            keep[label] = dim
        if x.is_features:
            f = t.reshape(-1) if "F" in keep else t.reshape(1)
            return self.constant(f, (f.numel(),))  # a constant of shape (F) is features
        c_dim, l_dim = keep.get("C"), keep.get("L")
        cs = t.shape[c_dim] if c_dim is not None else 1
        ls = t.shape[l_dim] if l_dim is not None else 1
        order = [d for d in (c_dim, l_dim) if d is not None]
        rest = [d for d in range(t.dim()) if d not in order]
        value = t.permute(*order, *rest).reshape(cs, ls)
        return self.constant(value, (cs, ls))

    def squeeze_leading(self, t, rank):
        while t.dim() > rank:
            if t.shape[0] != 1:
                self.refuse(f"a constant of shape {tuple(t.shape)} broadcast to a lower-rank activation")
            t = t[0]
        return t

    # -- convolution --------------------------------------------------------------------------
    def conv_weight(self, w, what):
        if isinstance(w, Val):
            self.refuse(f"{what} whose weight is computed from the input (dynamic convolution)")
        w = torch.as_tensor(w)
        if w.dim() != 3:
            self.refuse(f"{what} with a rank-{w.dim()} weight {tuple(w.shape)} (only 1-D convolutions)")
        return w

    def op_conv1d(self, overload, x, weight, bias=None, stride=(1,), padding=(0,), dilation=(1,), groups=1):
        return self.conv(x, weight, bias, stride, padding, dilation, groups)

    def op_convolution(self, _, x, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
        if transposed:
            return self.conv_transpose(x, weight, bias, stride, padding, output_padding, groups, dilation)
        return self.conv(x, weight, bias, stride, padding, dilation, groups)

    def op__convolution(self, _, x, weight, bias, stride, padding, dilation, transposed, output_padding, groups,
                        *rest):
        return self.op_convolution(_, x, weight, bias, stride, padding, dilation, transposed, output_padding, groups)

    def op_conv_transpose1d(self, _, x, weight, bias=None, stride=(1,), padding=(0,), output_padding=(0,),
                            groups=1, dilation=(1,)):
        return self.conv_transpose(x, weight, bias, stride, padding, output_padding, groups, dilation)

    def conv(self, x, weight, bias, stride, padding, dilation, groups):
        x = self.seq(x, "conv1d")
        w = self.conv_weight(weight, "conv1d")
        if isinstance(bias, Val):
            self.refuse("conv1d with a bias computed from the input")
        pad = padding if isinstance(padding, str) else _one(padding, "padding", self)
        attrs = {"in_channels": int(w.shape[1] * groups), "out_channels": int(w.shape[0]),
                 "kernel_size": int(w.shape[2]), "stride": _one(stride, "stride", self), "padding": pad,
                 "dilation": _one(dilation, "dilation", self), "groups": int(groups), "bias": bias is not None,
                 "padding_mode": "zeros"}
        params = {"weight": w}
        if bias is not None:
            params["bias"] = bias
        return self.out(self.emit("conv1d", [x.name], attrs, params), axes=self.conv_axes(x))

    def conv_axes(self, x):
        return ("N", "C", "L") if x.axes[0] == "N" else ("C", "L")

    def conv_transpose(self, x, weight, bias, stride, padding, output_padding, groups, dilation):
        x = self.seq(x, "conv_transpose1d")
        w = self.conv_weight(weight, "conv_transpose1d")
        attrs = {"in_channels": int(w.shape[0]), "out_channels": int(w.shape[1] * groups),
                 "kernel_size": int(w.shape[2]), "stride": _one(stride, "stride", self),
                 "padding": _one(padding, "padding", self), "output_padding": _one(output_padding, "output_padding", self),
                 "dilation": _one(dilation, "dilation", self), "groups": int(groups), "bias": bias is not None}
        params = {"weight": w}
        if bias is not None:
            params["bias"] = bias
        return self.out(self.emit("conv_transpose1d", [x.name], attrs, params), axes=self.conv_axes(x))

    # -- normalisation ------------------------------------------------------------------------
    def op__native_batch_norm_legit_no_training(self, _, x, weight, bias, mean, var, momentum, eps):
        return (self.batch_norm(x, weight, bias, mean, var, eps), None, None)

    def op_batch_norm(self, _, x, weight, bias, mean, var, training, momentum, eps, cudnn=False):
        if training:
            self.refuse("batch_norm in training mode (export runs the module in eval mode; a BatchNorm "
                        "without running statistics normalises with batch statistics)",
                        hint="use track_running_stats=True")
        return self.batch_norm(x, weight, bias, mean, var, eps)

    def op__native_batch_norm_legit(self, _, x, weight, bias, mean, var, training, momentum, eps):
        if training or mean is None:
            self.refuse("BatchNorm without running statistics (track_running_stats=False) normalises with "
                        "the batch's statistics at inference", hint="use track_running_stats=True")
        return (self.batch_norm(x, weight, bias, mean, var, eps), None, None)

    def batch_norm(self, x, weight, bias, mean, var, eps):
        if not x.is_features:
            self.seq(x, "batch_norm")
        c = x.size("F") if x.is_features else x.size("C")
        affine = weight is not None or bias is not None
        params = {"running_mean": mean, "running_var": var}
        if affine:
            params["weight"] = weight if weight is not None else torch.ones(c)
            params["bias"] = bias if bias is not None else torch.zeros(c)
        attrs = {"num_features": int(c), "eps": float(eps), "affine": affine}
        return self.out(self.emit("batch_norm", [x.name], attrs, params), like=x)

    def op_layer_norm(self, _, x, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn=True):
        if len(normalized_shape) == 2 and x.axes[-2:] == ("C", "L"):
            return self.layer_norm_channels_time(x, weight, bias, eps)
        if len(normalized_shape) == 1 and self.label(x, -1) == "L":
            return self.layer_norm_time(x, weight, bias, eps)
        if len(normalized_shape) != 1 or self.label(x, -1) != "C":
            what = "time" if self.label(x, -1) == "L" else self.label(x, -1)
            self.refuse(f"layer_norm over {list(normalized_shape)} of a tensor laid out as {self.layout(x)} "
                        f"(normalising over {what}); .c1d normalises over channels only",
                        hint="apply LayerNorm(C) to x.transpose(1, 2) of an (N, C, L) tensor")
        return self.norm_over_channels(x, weight, bias, eps)

    def layer_norm_time(self, x, weight, bias, eps):
        """LayerNorm(L) on (N, C, L): statistics over time per channel (instance_norm), then its per-time
        affine as (1, L) constants (which fix the file to the example's length)."""
        normed = self.norm_op(x, {"L"}, float(eps))
        if weight is not None:
            normed = self.binary("mul", normed, weight)
        if bias is not None:
            normed = self.binary("add", normed, bias)
        return normed

    def layer_norm_channels_time(self, x, weight, bias, eps):
        """LayerNorm([C, L]) on (N, C, L): group_norm with one group, then its (C, L) affine as constants
        (which fix the file to the example's length)."""
        normed = self.norm_op(x, {"C", "L"}, float(eps))
        if weight is not None:
            normed = self.binary("mul", normed, weight)
        if bias is not None:
            normed = self.binary("add", normed, bias)
        return normed

    def op_native_layer_norm(self, _, x, normalized_shape, weight, bias, eps):
        return (self.op_layer_norm(_, x, normalized_shape, weight, bias, eps), None, None)

    def norm_over_channels(self, x, weight, bias, eps):
        c = x.size("C")
        affine = weight is not None or bias is not None
        params = {}
        if affine:
            params = {"weight": weight if weight is not None else torch.ones(c),
                      "bias": bias if bias is not None else torch.zeros(c)}
        attrs = {"num_channels": int(c), "eps": float(eps), "affine": affine}
        return self.out(self.emit("layer_norm", [x.name], attrs, params), like=x)

    def op_group_norm(self, _, x, num_groups, weight=None, bias=None, eps=1e-5, cudnn=True):
        self.seq(x, "group_norm")
        c = x.size("C")
        affine = weight is not None or bias is not None
        params = {}
        if affine:
            params = {"weight": weight if weight is not None else torch.ones(c),
                      "bias": bias if bias is not None else torch.zeros(c)}
        attrs = {"num_groups": int(num_groups), "num_channels": int(c), "eps": float(eps), "affine": affine}
        return self.out(self.emit("group_norm", [x.name], attrs, params), like=x)

    def op_native_group_norm(self, _, x, weight, bias, n, c, hw, group, eps):
        return (self.op_group_norm(_, x, group, weight, bias, eps), None, None)

    def op_instance_norm(self, _, x, weight, bias, mean, var, use_input_stats, momentum, eps, cudnn=False):
        if not use_input_stats:
            return self.batch_norm(x, weight, bias, mean, var, eps)
        self.seq(x, "instance_norm")
        c = x.size("C")
        affine = weight is not None or bias is not None
        params = {}
        if affine:
            params = {"weight": weight if weight is not None else torch.ones(c),
                      "bias": bias if bias is not None else torch.zeros(c)}
        attrs = {"num_channels": int(c), "eps": float(eps), "affine": affine}
        return self.out(self.emit("instance_norm", [x.name], attrs, params), like=x)

    # -- linear and matrix products with constants ---------------------------------------------
    def op_linear(self, _, x, weight, bias=None):
        if isinstance(weight, Val) or isinstance(bias, Val):
            self.refuse("linear with a weight computed from the input")
        return self.dense(x, torch.as_tensor(weight), bias)

    def dense(self, x, w, bias):
        last = self.label(x, -1)
        if last == "F":
            attrs = {"in_features": int(w.shape[1]), "out_features": int(w.shape[0]), "bias": bias is not None}
            params = {"weight": w}
            if bias is not None:
                params["bias"] = bias
            return self.out(self.emit("linear", [x.name], attrs, params), like=x)
        if last != "C":
            self.refuse(f"linear over the {'time' if last == 'L' else last} axis of a tensor laid out as "
                        f"{self.layout(x)}; .c1d applies linear layers over channels or features",
                        hint="apply Linear to x.transpose(1, 2) of an (N, C, L) tensor, or flatten first")
        # A Linear over channels (channels-last, or (N, C) after pooling) is a pointwise convolution.
        attrs = {"in_channels": int(w.shape[1]), "out_channels": int(w.shape[0]), "kernel_size": 1,
                 "stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": bias is not None,
                 "padding_mode": "zeros"}
        params = {"weight": w.reshape(w.shape[0], w.shape[1], 1)}
        if bias is not None:
            params["bias"] = bias
        return self.out(self.emit("conv1d", [x.name], attrs, params), like=x)

    def op_matmul(self, _, a, b):
        if isinstance(a, Val) and isinstance(b, torch.Tensor) and b.dim() == 2:
            return self.dense(a, b.t(), None)
        self.refuse("a matrix product of two activations (attention-like) has no .c1d op", hint=self.module_hint())

    def op_mm(self, _, a, b):
        return self.op_matmul(_, a, b)

    def op_addmm(self, _, bias, a, b, beta=1, alpha=1):
        if beta != 1 or alpha != 1 or not isinstance(b, torch.Tensor):
            self.refuse("addmm with scaling or an activation as the matrix")
        return self.dense(a, b.t(), bias)

    # -- reductions ---------------------------------------------------------------------------
    def reduce_one(self, kind, x, dim, keepdim, correction=None):
        label = self.label(x, dim)
        d = dim % len(x.axes)
        if label in ("1",) or x.shape[d] == 1 and kind in ("mean", "sum", "max", "min"):
            y = x
        elif label in ("C", "L"):
            attrs = {"kind": kind, "axis": "channels" if label == "C" else "time", "keepdim": True,
                     "correction": int(correction if correction is not None else 1)}
            shape = list(x.shape)
            shape[d] = 1
            y = Val(self.emit("reduce", [x.name], attrs), x.axes, tuple(shape))
        else:
            self.refuse(f"{kind} over the {'batch' if label == 'N' else label} axis of a tensor laid out as "
                        f"{self.layout(x)}")
        if keepdim:
            return y
        return Val(y.name, y.axes[:d] + y.axes[d + 1:], y.shape[:d] + y.shape[d + 1:])

    def reduce(self, kind, x, dims, keepdim, correction=None):
        if isinstance(x, Group):
            return self.reduce_group(kind, x, dims, keepdim)
        dims = [dims] if isinstance(dims, int) else list(dims or range(len(x.axes)))
        real = [d for d in dims if x.shape[d % len(x.axes)] != 1]
        if kind in ("var", "std") and len(real) > 1:
            return self.joint_variance(kind, x, real, keepdim, 1 if correction is None else correction)
        source = x
        for d in sorted((d % len(x.axes) for d in dims), reverse=True):
            x = self.reduce_one(kind, x, d, keepdim, correction)
        labels = {source.axes[d % len(source.axes)] for d in real} - {"1", "N"}
        return self.note_reduction(kind, source, x, labels, correction)

    # -- hand-written normalisations, recognised so that they become one norm node -------------
    def note(self, val, *origin):
        if isinstance(val, Val):
            self.origin[val.name] = origin
        return val

    def why(self, v):
        return self.origin.get(v.name) if isinstance(v, Val) else None

    def note_reduction(self, kind, source, result, labels, correction):
        if result is source or not labels:
            return result
        if kind in ("var",):
            return self.note(result, "var", source, frozenset(labels), 1 if correction is None else correction)
        if kind != "mean":
            return result
        inner = self.why(source)
        if inner and inner[0] == "mean":
            source, labels = inner[1], labels | inner[2]
        squared = self.why(source)
        if squared and squared[0] == "square":
            centered = self.why(squared[1])
            if centered and centered[0] == "centered" and centered[2] == frozenset(labels):
                return self.note(result, "var", centered[1], frozenset(labels), 0)
        return self.note(result, "mean", source, frozenset(labels))

    def note_binary(self, op, a, b, result):
        if op == "sub" and isinstance(a, Val) and isinstance(b, Val):
            mean = self.why(b)
            if mean and mean[0] == "mean" and mean[1].name == a.name:
                self.note(result, "centered", a, mean[2])
        elif op == "add" and (isinstance(a, Val) != isinstance(b, Val)):
            v, c = (a, b) if isinstance(a, Val) else (b, a)
            if torch.as_tensor(c).numel() == 1:
                self.note(result, "eps", v, float(torch.as_tensor(c).reshape(())))
        elif op == "mul" and (isinstance(a, Val) != isinstance(b, Val)):
            v, c = (a, b) if isinstance(a, Val) else (b, a)
            self.note(result, "scaled", v, c)
        return result

    def recognise_norm(self, op, a, b):
        """(x − mean) / sqrt(var + eps), or (x − mean) · rsqrt(var + eps), with mean and biased var over the
        same axes (possibly scaled by a constant first): group_norm(1) over channels and time, layer_norm
        over channels, instance_norm over time. None when the pattern does not hold."""
        if op not in ("div", "mul") or not (isinstance(a, Val) and isinstance(b, Val)):
            return None
        root = self.why(b)
        if not root or root[0] != ("sqrt" if op == "div" else "rsqrt"):
            return None
        eps = self.why(root[1])
        var = self.why(eps[1]) if eps and eps[0] == "eps" else None
        if not var or var[0] != "var" or var[3] != 0:
            return None
        numerator, scale = self.why(a), None
        if numerator and numerator[0] == "scaled":
            scale, numerator = numerator[2], self.why(numerator[1])
        if not numerator or numerator[0] != "centered" or numerator[1].name != var[1].name or numerator[2] != var[2]:
            return None
        y = numerator[1]
        if y.is_features or y.shape != self.result_shape():
            return None
        normed = self.norm_op(y, var[2], eps[2])
        return normed if scale is None else self.binary("mul", normed, scale)

    def norm_op(self, y, labels, eps):
        c = y.size("C")
        if labels == {"C", "L"}:
            attrs = {"num_groups": 1, "num_channels": c, "eps": eps, "affine": False}
            return Val(self.emit("group_norm", [y.name], attrs), y.axes, y.shape)
        if labels == {"C"}:
            attrs = {"num_channels": c, "eps": eps, "affine": False}
            return Val(self.emit("layer_norm", [y.name], attrs), y.axes, y.shape)
        attrs = {"num_channels": c, "eps": eps, "affine": False}
        return Val(self.emit("instance_norm", [y.name], attrs), y.axes, y.shape)

    def joint_variance(self, kind, x, dims, keepdim, correction):
        """var/std over channels and time together (global layer norms): the mean of squared deviations
        from the joint mean, rescaled for the correction."""
        count = 1
        for d in dims:
            count *= x.shape[d % len(x.axes)]
        mean = self.reduce("mean", x, dims, True)
        deviation = self.binary("sub", x, mean)
        squared = self.same("square", deviation)
        var = self.reduce("mean", squared, dims, True)
        if correction:
            var = self.binary("mul", var, count / (count - correction))
        self.note(var, "var", x, frozenset(x.axes[d % len(x.axes)] for d in dims), correction)
        if kind == "std":
            var = Val(self.emit("sqrt", [var.name]), var.axes, var.shape)
        if keepdim:
            return var
        drop = {d % len(x.axes) for d in dims}
        return Val(var.name, tuple(a for i, a in enumerate(var.axes) if i not in drop),
                   tuple(s for i, s in enumerate(var.shape) if i not in drop))

    def op_linalg_vector_norm(self, _, x, ord=2, dim=None, keepdim=False, dtype=None):
        if ord not in (1, 2):
            self.refuse(f"a vector norm of order {ord} (only 1 and 2)")
        dims = list(range(len(x.axes))) if dim is None else [dim] if isinstance(dim, int) else list(dim)
        if ord == 1:
            mag = self.same("abs", x)
            return self.reduce("sum", mag, dims, keepdim)
        sq = self.same("square", x)
        total = self.reduce("sum", sq, dims, keepdim)
        return Val(self.emit("sqrt", [total.name]), total.axes, total.shape)

    def reduce_group(self, kind, g, dims, keepdim):
        dims = [dims] if isinstance(dims, int) else list(dims)
        rank = len(g.shape)
        if g.merged or [d % rank for d in dims] != [g.dim] or kind not in ("sum", "mean"):
            if not g.merged and g.dim not in [d % rank for d in dims]:
                return self.map_group(lambda *a, **k: self.reduce(kind, *a, **k), g, [
                    d % rank - (1 if d % rank > g.dim else 0) for d in dims], keepdim)
            self.refuse(f"{kind} over {dims} of a tensor with a source/stack axis; only a sum or mean over "
                        "that axis is supported")
        total = g.items[0]
        for item in g.items[1:]:
            axes = self.broadcast_axes(total, item)
            total = Val(self.emit("add", [total.name, item.name]), axes,
                        tuple(torch.broadcast_shapes(total.shape, item.shape)))
        if kind == "mean":
            total = self.binary("mul", total, 1.0 / len(g.items))
        if keepdim:
            total = self.op_unsqueeze("", total, g.dim)
        return total

    def op_mean(self, overload, x, dim=None, keepdim=False, dtype=None):
        return self.reduce("mean", x, dim, keepdim)

    def op_sum(self, overload, x, dim=None, keepdim=False, dtype=None):
        return self.reduce("sum", x, dim, keepdim)

    def op_amax(self, _, x, dim=(), keepdim=False):
        return self.reduce("max", x, dim, keepdim)

    def op_amin(self, _, x, dim=(), keepdim=False):
        return self.reduce("min", x, dim, keepdim)

    def op_max(self, overload, x, dim=None, keepdim=False):
        if isinstance(dim, Val):
            return self.binary("maximum", x, dim)
        if dim is None:
            self.refuse("max over all axes")
        return (self.reduce("max", x, dim, keepdim), None)

    def op_min(self, overload, x, dim=None, keepdim=False):
        if isinstance(dim, Val):
            return self.binary("minimum", x, dim)
        if dim is None:
            self.refuse("min over all axes")
        return (self.reduce("min", x, dim, keepdim), None)

    def op_var(self, overload, x, dim=None, unbiased=None, keepdim=False, correction=None):
        corr = correction if correction is not None else (0 if unbiased is False else 1)
        return self.reduce("var", x, dim, keepdim, corr)

    def op_std(self, overload, x, dim=None, unbiased=None, keepdim=False, correction=None):
        corr = correction if correction is not None else (0 if unbiased is False else 1)
        return self.reduce("std", x, dim, keepdim, corr)

    def op_var_mean(self, overload, x, dim=None, unbiased=None, keepdim=False, correction=None):
        corr = correction if correction is not None else (0 if unbiased is False else 1)
        return (self.reduce("var", x, dim, keepdim, corr), self.reduce("mean", x, dim, keepdim))

    def op_std_mean(self, overload, x, dim=None, unbiased=None, keepdim=False, correction=None):
        corr = correction if correction is not None else (0 if unbiased is False else 1)
        return (self.reduce("std", x, dim, keepdim, corr), self.reduce("mean", x, dim, keepdim))

    def axis_of(self, x, dim, what):
        label = self.label(x, dim)
        if label in ("C", "F"):
            return "channels"
        if label == "L":
            return "time"
        self.refuse(f"{what} over the {'batch' if label == 'N' else 'size-1'} axis of {self.layout(x)}")

    def group_softmax(self, g, dim):
        """Softmax across sources (a mask that sums to one over them): exp(x_i - max) / Σ exp(x_j - max)."""
        d = dim % len(g.shape)
        if g.merged or d != g.dim:
            if g.merged:
                self.refuse("softmax of sources folded into the batch")
            inner = d - (1 if d > g.dim else 0)
            return self.map_group(lambda v: self.op_softmax("", v, inner), g)
        peak = g.items[0]
        for item in g.items[1:]:
            peak = self.binary("maximum", peak, item)
        exps = [self.same("exp", self.binary("sub", item, peak)) for item in g.items]
        total = exps[0]
        for e in exps[1:]:
            total = self.binary("add", total, e)
        return Group(tuple(self.binary("div", e, total) for e in exps), g.dim, False)

    def op_softmax(self, _, x, dim, dtype=None):
        if isinstance(x, Group):
            return self.group_softmax(x, dim)
        return self.out(self.emit("softmax", [x.name], {"axis": self.axis_of(x, dim, "softmax")}), like=x)

    def op__softmax(self, _, x, dim, half_to_float=False):
        return self.op_softmax(_, x, dim)

    def op_log_softmax(self, _, x, dim, dtype=None):
        return self.out(self.emit("log_softmax", [x.name], {"axis": self.axis_of(x, dim, "log_softmax")}), like=x)

    def op__log_softmax(self, _, x, dim, half_to_float=False):
        return self.op_log_softmax(_, x, dim)

    def op_glu(self, _, x, dim=-1):
        axis = self.axis_of(x, dim, "glu")
        if x.is_features:
            self.refuse("glu over features")
        return self.out(self.emit("glu", [x.name], {"axis": axis}), like=x)

    # -- pooling ------------------------------------------------------------------------------
    def whole_length(self, x, k, stride, padding):
        """A pool whose window is the whole example (kernel_size=x.size(-1)): a global pool, which holds
        at every length, not a window baked to the example's."""
        s = _one(stride, "stride", self) if stride else k
        return k == x.size("L") and s >= k and _one(padding, "padding", self) == 0

    def op_max_pool1d(self, _, x, kernel_size, stride=(), padding=(0,), dilation=(1,), ceil_mode=False):
        x = self.seq(x, "max_pool1d")
        k = _one(kernel_size, "kernel_size", self)
        if k > 1 and self.whole_length(x, k, stride, padding):
            return self.out(self.emit("adaptive_max_pool1d", [x.name], {"output_size": 1}), like=x)
        attrs = {"kernel_size": k, "stride": _one(stride, "stride", self) if stride else k,
                 "padding": _one(padding, "padding", self), "dilation": _one(dilation, "dilation", self),
                 "ceil_mode": bool(ceil_mode)}
        return self.out(self.emit("max_pool1d", [x.name], attrs), like=x)

    def op_max_pool1d_with_indices(self, _, *args, **kwargs):
        return (self.op_max_pool1d(_, *args, **kwargs), None)

    def op_avg_pool1d(self, _, x, kernel_size, stride=(), padding=(0,), ceil_mode=False, count_include_pad=True):
        x = self.seq(x, "avg_pool1d")
        k = _one(kernel_size, "kernel_size", self)
        if k > 1 and self.whole_length(x, k, stride, padding):
            return self.out(self.emit("global_avg_pool1d", [x.name]), like=x)
        attrs = {"kernel_size": k, "stride": _one(stride, "stride", self) if stride else k,
                 "padding": _one(padding, "padding", self), "ceil_mode": bool(ceil_mode),
                 "count_include_pad": bool(count_include_pad)}
        return self.out(self.emit("avg_pool1d", [x.name], attrs), like=x)

    def op_adaptive_avg_pool1d(self, _, x, output_size):
        x = self.seq(x, "adaptive_avg_pool1d")
        n = _one(output_size, "output_size", self)
        if n == 1:
            return self.out(self.emit("global_avg_pool1d", [x.name]), like=x)
        return self.out(self.emit("adaptive_avg_pool1d", [x.name], {"output_size": n}), like=x)

    def op__adaptive_avg_pool1d(self, _, x, output_size):
        return self.op_adaptive_avg_pool1d(_, x, output_size)

    def op_adaptive_max_pool1d(self, _, x, output_size):
        x = self.seq(x, "adaptive_max_pool1d")
        n = _one(output_size, "output_size", self)
        return (self.out(self.emit("adaptive_max_pool1d", [x.name], {"output_size": n}), like=x), None)

    # -- resampling ---------------------------------------------------------------------------
    def upsample(self, x, mode, size, scale, align_corners=False):
        x = self.seq(x, "upsample")
        size = _one(size, "output_size", self) if size else None
        scale = float(scale[0] if isinstance(scale, (list, tuple)) else scale) if scale else None
        if size is not None and scale is not None:
            scale = None  # PyTorch gives both when the scale decides the size; the size is what it computed
        attrs = {"mode": mode, "scale_factor": scale, "size": size, "align_corners": bool(align_corners)}
        return self.out(self.emit("upsample", [x.name], attrs), like=x)

    def op_upsample_nearest1d(self, overload, x, output_size=None, scales=None):
        if overload == "vec":
            return self.upsample(x, "nearest", output_size, scales)
        return self.upsample(x, "nearest", output_size if scales is None else None, scales)

    def op_upsample_linear1d(self, overload, x, output_size=None, align_corners=False, scales=None):
        if overload == "vec":
            return self.upsample(x, "linear", output_size, scales, align_corners)
        return self.upsample(x, "linear", output_size if scales is None else None, scales, align_corners)

    # -- padding, slicing, joining --------------------------------------------------------------
    def op_pad(self, _, x, pad, mode="constant", value=None):
        return self.pad(x, list(pad), mode, value)

    def op_constant_pad_nd(self, _, x, pad, value=0.0):
        return self.pad(x, list(pad), "constant", value)

    def op_reflection_pad1d(self, _, x, pad):
        return self.pad(x, list(pad), "reflect", None)

    def op_replication_pad1d(self, _, x, pad):
        return self.pad(x, list(pad), "replicate", None)

    def op__pad_circular(self, _, x, pad):
        return self.pad(x, list(pad), "circular", None)

    def pad(self, x, pad, mode, value):
        if len(pad) % 2 or any(p != 0 for p in pad[2:]):
            self.refuse(f"padding {pad} of axes other than the last")
        left, right = int(pad[0]), int(pad[1])
        if left == 0 and right == 0:
            return x
        if self.label(x, -1) != "L":
            self.refuse(f"padding the last axis of a tensor laid out as {self.layout(x)} (not time)")
        if mode not in ("constant", "reflect", "replicate", "circular"):
            self.refuse(f"padding mode {mode!r}")
        if left < 0 or right < 0:
            # Negative padding crops, which is a slice; pad what remains.
            start, stop = max(-left, 0), (right if right < 0 else None)
            kept = x.size("L") - start + min(right, 0)
            x = Val(self.emit("slice", [x.name], {"start": start, "stop": stop}), x.axes, x.shape[:-1] + (kept,))
            left, right = max(left, 0), max(right, 0)
            if left == 0 and right == 0:
                return x
        attrs = {"left": left, "right": right, "mode": mode, "value": float(value or 0.0)}
        return self.out(self.emit("pad", [x.name], attrs), like=x)

    def op_slice(self, overload, x, dim=0, start=None, end=None, step=1):
        d = dim % len(x.axes)
        size = x.shape[d]
        label = x.axes[d]
        lo, hi, _ = slice(start, end, step).indices(size)
        if step != 1:
            self.refuse(f"slicing with step {step}")
        if lo == 0 and hi >= size:
            return x
        if label == "L":
            s = 0 if start is None else int(start)
            e = None if end is None or end >= _INT_MAX or (end >= size and end > 0) else int(end)
            return self.out(self.emit("slice", [x.name], {"start": s, "stop": e}), like=x)
        if label == "C":
            return self.channel_range(x, lo, hi)
        self.refuse(f"slicing the {'batch' if label == 'N' else label} axis of {self.layout(x)}")

    def channel_range(self, x, lo, hi):
        if hi <= lo:
            self.refuse("an empty channel slice")
        return self.narrow(x, x.axes.index("C"), lo, hi - lo)

    def narrow(self, x, d, start, length):
        """x.narrow(d, start, length) over channels or time: one `narrow` node."""
        label = x.axes[d]
        if x.is_features or label not in ("C", "L"):
            self.refuse(f"narrowing the {dict(N='batch', F='features').get(label, label)} axis of {self.layout(x)}")
        attrs = {"axis": "channels" if label == "C" else "time", "start": int(start), "length": int(length)}
        return Val(self.emit("narrow", [x.name], attrs), x.axes, x.shape[:d] + (int(length),) + x.shape[d + 1:])

    def op_narrow(self, _, x, dim, start, length):
        return self.op_slice(_, x, dim, start, start + length)

    def select(self, x, dim, index):
        d = dim % len(x.axes)
        size = x.shape[d]
        i = index % size
        label = x.axes[d]
        if size == 1:
            y = x
        elif label == "L":
            stop = None if i == size - 1 and index < 0 else (i + 1 if index >= 0 else index + 1)
            start = index if index < 0 else i
            name = self.emit("slice", [x.name], {"start": int(start), "stop": stop})
            y = Val(name, x.axes, x.shape[:d] + (1,) + x.shape[d + 1:])
        elif label == "C":
            y = self.channel_range(x, i, i + 1)
        else:
            self.refuse(f"indexing the {'batch' if label == 'N' else label} axis of {self.layout(x)}")
        return Val(y.name, y.axes[:d] + y.axes[d + 1:], y.shape[:d] + y.shape[d + 1:])

    def op_split(self, overload, x, split_size, dim=0):
        d = dim % len(x.axes)
        size = x.shape[d]
        if isinstance(split_size, int):
            sizes = [split_size] * (size // split_size) + ([size % split_size] if size % split_size else [])
        else:
            sizes = list(split_size)
        return self.split(x, d, sizes)

    def op_split_with_sizes(self, _, x, sizes, dim=0):
        return self.split(x, dim % len(x.axes), list(sizes))

    def split(self, x, d, sizes):
        label = x.axes[d]
        if len(sizes) == 1:
            return [x]
        if label not in ("C", "L"):
            self.refuse(f"splitting the {'batch' if label == 'N' else label} axis of {self.layout(x)}")
        if x.is_features:
            self.refuse("splitting features")
        starts = [sum(sizes[:k]) for k in range(len(sizes))]
        return [self.narrow(x, d, start, size) for start, size in zip(starts, sizes)]

    def op_cat(self, _, tensors, dim=0):
        groups = [t for t in tensors if isinstance(t, Group)]
        if groups:
            g = groups[0]
            d = dim % len(g.shape)
            if not g.merged and d == g.dim and len(groups) == len(tensors):
                return Group(tuple(i for t in tensors for i in t.items), g.dim, False)
            if not g.merged:
                d -= 1 if d > g.dim else 0
            return self.map_items(lambda o, ts, dd: self.op_cat(o, ts, dd), _, g, [tensors, d], {})
        if any(not isinstance(t, Val) for t in tensors):
            self.refuse("torch.cat with a constant operand", hint="concatenate activations only")
        tensors = [t for t in tensors if 0 not in t.shape]
        if len(tensors) == 1:
            return tensors[0]
        first = tensors[0]
        label = self.label(first, dim)
        for t in tensors[1:]:
            if [a for a in t.axes] != [a for a in first.axes]:
                self.refuse(f"torch.cat of tensors laid out as {self.layout(first)} and {self.layout(t)}")
        if label == "C":
            op = "concat"
        elif label == "L":
            op = "concat_time"
        else:
            self.refuse(f"torch.cat along the {'batch' if label == 'N' else label} axis of {self.layout(first)}")
        if first.is_features:
            self.refuse("concatenating features")
        return self.out(self.emit(op, [t.name for t in tensors]), like=first)

    def op_masked_fill(self, _, x, mask, value):
        if isinstance(mask, torch.Tensor) and not bool(mask.any()):
            return x  # nothing masked at the example (e.g. a full-length mask)
        self.refuse("masked_fill with a mask that masks something (data-dependent masking)")

    def op_where(self, _, cond, a, b):
        if isinstance(cond, torch.Tensor):
            if bool(cond.all()):
                return a
            if not bool(cond.any()):
                return b
        self.refuse("torch.where with a mask that selects from both sides")

    def op_stack(self, _, tensors, dim=0):
        if any(not isinstance(t, Val) for t in tensors):
            self.refuse("torch.stack with a constant operand")
        return Group(tuple(tensors), dim % (len(tensors[0].axes) + 1))

    # -- views --------------------------------------------------------------------------------
    def op_unsqueeze(self, _, x, dim):
        if isinstance(x, Group):
            return self.group_unsqueeze(x, dim)
        d = dim % (len(x.axes) + 1)
        return Val(x.name, x.axes[:d] + ("1",) + x.axes[d:], x.shape[:d] + (1,) + x.shape[d:])

    def op_squeeze(self, overload, x, dim=None):
        rank = len(x.shape)
        dims = range(rank) if dim is None else [dim] if isinstance(dim, int) else list(dim)
        if isinstance(x, Group):
            return self.group_squeeze(x, dims)
        drop = {d % len(x.axes) for d in dims if x.shape[d % len(x.axes)] == 1}
        return Val(x.name, tuple(a for i, a in enumerate(x.axes) if i not in drop),
                   tuple(s for i, s in enumerate(x.shape) if i not in drop))

    def op_transpose(self, _, x, d0, d1):
        perm = list(range(len(x.shape)))
        a, b = d0 % len(perm), d1 % len(perm)
        perm[a], perm[b] = perm[b], perm[a]
        return self.permute(x, perm)

    def op_t(self, _, x):
        return self.permute(x, list(range(len(x.axes)))[::-1])

    def op_permute(self, _, x, dims):
        return self.permute(x, [d % len(x.shape) for d in dims])

    def permute(self, x, perm):
        if isinstance(x, Group):
            if x.merged:
                if perm[0] != 0:
                    self.refuse("permuting the batch of sources folded into the batch")
                return self.map_group(lambda v: self.permute(v, perm), x)
            inner = [p - (1 if p > x.dim else 0) for p in perm if p != x.dim]
            return Group(tuple(self.permute(v, inner) for v in x.items), perm.index(x.dim), False)
        return Val(x.name, tuple(x.axes[p] for p in perm), tuple(x.shape[p] for p in perm))

    def op_expand(self, _, x, sizes, implicit=False):
        return self.broadcast_to(x, self.result_shape())

    def op_repeat(self, _, x, repeats):
        return self.broadcast_to(x, self.result_shape())

    def broadcast_to(self, x, target):
        if isinstance(x, Broadcast):
            x = x.val
        if tuple(target) == tuple(x.shape):
            return x
        if len(target) != len(x.shape) or any(a != b and a != 1 for a, b in zip(x.shape, target)):
            self.refuse(f"expanding or repeating an activation {x.shape} to {tuple(target)} (only size-1 axes "
                        "can be broadcast)")
        return Broadcast(x, tuple(target))

    def resolve_broadcasts(self, op, args):
        """Broadcasting ops read the unexpanded value; a concatenation materialises it."""
        if op in _BROADCASTING:
            return [a.val if isinstance(a, Broadcast) else a for a in args]
        if op == "cat":
            tensors = list(args[0])
            full = next((t for t in tensors if isinstance(t, Val)), None)
            if full is None:
                self.refuse("concatenating only expanded tensors")
            return [[self.materialize(t, full) if isinstance(t, Broadcast) else t for t in tensors], *args[1:]]
        self.refuse(f"{op} of an expanded (broadcast) activation", hint="use the tensor before expand/repeat")

    def materialize(self, b, like):
        """`b.val` with its size-1 time axis made as long as `like`'s, at any input length:
        val + 0·(channel max of `like`). (`like` is an activation of the network, so finite.)"""
        v = b.val
        if v.size("L") != 1 or like.size("L") == 1 or v.is_features or "C" not in like.axes:
            self.refuse(f"materialising an expansion of {v.shape} to {b.shape} other than over time")
        peak = self.reduce("max", like, [like.axes.index("C")], True)
        zero = self.binary("mul", peak, 0.0)
        aligned = Val(v.name, self.align_axes(v, like), v.shape)
        return Val(self.emit("add", [v.name, zero.name]), self.broadcast_axes(aligned, zero),
                   tuple(torch.broadcast_shapes(v.shape, zero.shape)))

    def align_axes(self, v, like):
        # v's size-1 time axis sits where like's time axis is
        return tuple("L" if a == "1" and l == "L" else a for a, l in zip(v.axes, like.axes)) \
            if len(v.axes) == len(like.axes) else v.axes

    def op_view(self, _, x, shape):
        return self.reshape(x, self.result_shape())

    op_reshape = op_view
    op__unsafe_view = op_view

    def op_flatten(self, _, x, start_dim=0, end_dim=-1):
        return self.reshape(x, self.result_shape())

    def op_unflatten(self, _, x, dim, sizes):
        return self.reshape(x, self.result_shape())

    def reshape(self, x, shape):
        """Views that only insert or drop size-1 axes, or flatten (C, L) into features; views that split
        channels into sources (N, S·C, L) -> (N, S, C, L) or fold sources into the batch and back."""
        if isinstance(x, Group):
            return self.reshape_group(x, shape)
        if shape == x.shape:
            return x
        grouped = self.split_sources(x, shape)
        if grouped is not None:
            return grouped
        kept = [(a, s) for a, s in zip(x.axes, x.shape) if s != 1]
        target = [s for s in shape if s != 1]
        if [s for _, s in kept] == target:
            labels = iter(a for a, _ in kept)
            return Val(x.name, tuple(next(labels) if s != 1 else "1" for s in shape), shape)
        # (N, C, L) -> (N, C·L): flatten the per-sample part into features. (The batch axis is told by
        # its label: it may be of size one when the module is traced at its example's batch.)
        kept = [(a, s) for a, s in zip(x.axes, x.shape) if s != 1 or a == "N"]
        per_sample = [s for s in shape[1:] if s != 1]
        if kept and kept[0][0] == "N" and shape and shape[0] == kept[0][1] and len(per_sample) == 1:
            rest = [a for a, _ in kept[1:]]
            if rest in (["C", "L"], ["C"], ["L"], ["F"]):
                if rest == ["C", "L"] or x.is_features:
                    v = x if x.is_features else self.flatten(self.seq(x, "flatten"))
                else:
                    v = Val(x.name, tuple(a for a, _ in kept), tuple(s for _, s in kept))
                label = v.axes[-1]  # "F", or the one axis of a (C, 1) / (1, L) value
                return Val(v.name, ("N",) + tuple(label if s != 1 else "1" for s in shape[1:]), shape)
            if rest == ["L", "C"]:
                self.refuse(f"flattening a channels-last tensor {self.layout(x)} (the order of features "
                            "would differ from .c1d's channel-major flatten)")
        self.refuse(f"reshape of {x.shape} laid out as {self.layout(x)} to {shape}; .c1d supports views that "
                    "insert or drop size-1 axes and (C, L) -> C·L flattening",
                    hint="keep activations (N, C, L) between layers")


    # -- sources: groups of tensors along an axis .c1d has no axis for --------------------------
    def split_sources(self, x, shape):
        """(N, S·C, L) -> (N, S, C, L) (or straight to (N·S, C, L)): the channels split into S sources;
        channels-last (N, L, S·C) -> (N, L, S, C) likewise."""
        if x.is_features or "C" not in x.axes or "N" not in x.axes or len(shape) < 3:
            return None
        n, c, length = x.size("N"), x.size("C"), x.size("L")
        ci = x.axes.index("C")
        shape = tuple(shape)
        if len(shape) == len(x.shape) + 1 and shape[:ci] == x.shape[:ci] and shape[ci + 2:] == x.shape[ci + 1:] \
                and shape[ci] * shape[ci + 1] == c and shape[ci] > 1:
            parts = self.split(x, ci, [c // shape[ci]] * shape[ci])
            item = shape[:ci] + shape[ci + 1:]
            return Group(tuple(_relabel(p, item) for p in parts), ci, False)
        if list(x.axes) != ["N", "C", "L"][: len(x.axes)]:
            return None
        if shape[0] == n and len(shape) == 4 and shape[-1] == length and shape[1] * shape[2] == c and shape[1] > 1:
            sources, merged, item = shape[1], False, (n,) + tuple(shape[2:])
        elif len(shape) == 3 and shape[0] % n == 0 and shape[0] > n and shape[0] // n * shape[1] == c \
                and shape[2] == length:
            sources, merged, item = shape[0] // n, True, (n,) + tuple(shape[1:])
        else:
            return None
        parts = self.split(x, x.axes.index("C"), [c // sources] * sources)
        return Group(tuple(_relabel(p, item) for p in parts), 1 if not merged else 0, merged)

    def reshape_group(self, g, shape):
        n_items = len(g.items)
        item = g.items[0]
        if g.merged and shape[0] == item.shape[0] and len(shape) > 1 and shape[1] == n_items:
            # (N·S, ...) -> (N, S, ...): unfold the sources from the batch
            rest = (item.shape[0],) + tuple(shape[2:])
            return Group(tuple(self.reshape(i, rest) for i in g.items), 1, False)
        if g.merged and shape[0] == g.shape[0]:
            rest = (item.shape[0],) + tuple(shape[1:])
            return Group(tuple(self.reshape(i, rest) for i in g.items), 0, True)
        if not g.merged and g.dim == 1 and shape[0] == item.shape[0] * n_items:
            # (N, S, ...) -> (N·S, ...): fold the sources into the batch
            rest = (item.shape[0],) + tuple(shape[1:])
            return Group(tuple(self.reshape(i, rest) for i in g.items), 0, True)
        if not g.merged and len(shape) > g.dim and shape[g.dim] == n_items and \
                tuple(shape[:g.dim]) == tuple(g.shape[:g.dim]):
            rest = tuple(shape[:g.dim]) + tuple(shape[g.dim + 1:])
            return Group(tuple(self.reshape(i, rest) for i in g.items), g.dim, False)
        if not g.merged and g.dim == 1 and "C" in item.axes and item.axes.index("C") == 1 and len(shape) == len(
                g.shape) - 1 and shape[1] == n_items * item.size("C"):
            # (N, S, C, L) -> (N, S·C, L): the sources side by side as channels
            joined = self.join(g)
            return _relabel(joined, shape)
        self.refuse(f"reshape of {g.shape} (with a source/stack axis at {g.dim}) to {tuple(shape)}")

    def join(self, g):
        """The items of a Group side by side along channels: one (N, S·C, L) value."""
        if g.merged:
            self.refuse("sources folded into the batch at an output; view them as (N, S, ...) first")
        if any(v.is_features or "L" not in v.axes for v in g.items):
            self.refuse("joining sources that are not sequences")
        items = [self.as_ncl(v) for v in g.items]
        first = items[0]
        n, length = first.size("N"), first.size("L")
        total = sum(v.size("C") for v in items)
        name = self.emit("concat", [v.name for v in items])
        return Val(name, ("N", "C", "L"), (n, total, length))

    def as_ncl(self, v):
        if [a for a in v.axes if a != "1"] in (["N", "L", "C"],):
            self.refuse("joining channels-last sources (the file would hold them transposed)")
        return v

    def op_select(self, overload, x, dim, index):
        if isinstance(x, Group):
            d = dim % len(x.shape)
            if not x.merged and d == x.dim:
                return x.items[index]
            if not x.merged:
                return self.map_group(lambda v: self.op_select(overload, v, d - (1 if d > x.dim else 0), index), x)
            self.refuse("indexing sources folded into the batch")
        return self.select(x, dim, index)

    def op_unbind(self, _, x, dim=0):
        if isinstance(x, Group):
            if not x.merged and dim % len(x.shape) == x.dim:
                return list(x.items)
            self.refuse("unbinding a tensor with a source/stack axis along another axis")
        d = dim % len(x.axes)
        parts = self.split(x, d, [1] * x.shape[d])
        return [Val(p.name, p.axes[:d] + p.axes[d + 1:], p.shape[:d] + p.shape[d + 1:]) for p in parts]

    def group_unsqueeze(self, g, dim):
        rank = len(g.shape) + 1
        d = dim % rank
        if g.merged:
            if d == 0:
                self.refuse("unsqueezing the batch of sources folded into the batch")
            return self.map_group(lambda v: self.op_unsqueeze("", v, d), g)
        if d <= g.dim:
            return Group(tuple(self.op_unsqueeze("", v, d) for v in g.items), g.dim + 1, False)
        return Group(tuple(self.op_unsqueeze("", v, d - 1) for v in g.items), g.dim, False)

    def group_squeeze(self, g, dims):
        rank = len(g.shape)
        dims = sorted({d % rank for d in dims if g.shape[d % rank] == 1}, reverse=True)
        for d in dims:
            if g.merged:
                g = self.map_group(lambda v: self.op_squeeze("", v, d), g)
            elif d == g.dim:
                return g.items[0]
            elif d < g.dim:
                g = Group(tuple(self.op_squeeze("", v, d) for v in g.items), g.dim - 1, False)
            else:
                g = Group(tuple(self.op_squeeze("", v, d - 1) for v in g.items), g.dim, False)
        return g


def _relabel(v, shape):
    """`v` viewed as `shape`, which has the same non-1 sizes in the same order."""
    labels = iter(a for a, n in zip(v.axes, v.shape) if n != 1)
    return Val(v.name, tuple(next(labels) if n != 1 else "1" for n in shape), tuple(shape))


def _flat(a):
    if isinstance(a, (list, tuple)):
        for x in a:
            yield from _flat(x)
    elif isinstance(a, dict):
        for x in a.values():
            yield from _flat(x)
    else:
        yield a


def _one(value, what, conv):
    if isinstance(value, (list, tuple)):
        if len(value) != 1:
            conv.refuse(f"{what} {list(value)} (only 1-D)")
        value = value[0]
    return int(value)

