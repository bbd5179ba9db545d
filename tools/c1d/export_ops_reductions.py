"""Reductions, and hand-written normalisations recognised as one norm node.

A part of the Converter of export_graph.py (a mixin: `self` is the Converter)."""

from __future__ import annotations

import torch

from .export_values import Group, Val


class ReductionOps:
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
