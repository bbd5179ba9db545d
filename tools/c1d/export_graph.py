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

import torch

from .export_errors import UnsupportedOperation
from .export_ops_elementwise import ElementwiseOps
from .export_ops_layers import LayerOps
from .export_ops_reductions import ReductionOps
from .export_ops_shapes import ShapeOps
from .export_values import (_GROUP_AWARE, _IDENTITY, _ITEMWISE, _DIM_ARG, _MODULE_HINTS, _REFUSED, _UNARY, Broadcast,
                            Group, Val, _flat, _is_value)

__all__ = ["Converter", "Val", "Group", "Broadcast"]


class Converter(ElementwiseOps, LayerOps, ReductionOps, ShapeOps):
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
