"""Activations and broadcasting arithmetic (constants become `constant` nodes).

A part of the Converter of export_graph.py (a mixin: `self` is the Converter)."""

from __future__ import annotations

import warnings

import torch

from .export_values import Val


class ElementwiseOps:
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

    _RANDOM_OPS = ("randn", "rand", "normal", "bernoulli", "randint", "uniform", "exponential")

    def draws_random_numbers(self):
        """Whether the captured graph calls a random-number op."""
        return any(node.op == "call_function" and any(r in str(node.target) for r in self._RANDOM_OPS)
                   for node in self.program.graph.nodes)

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
                        if not self.draws_random_numbers():
                            self.refuse(f"a constant {tuple(t.shape)} that varies along the batch axis")
                        # Noise drawn in eval mode (speechbrain's StatisticsPooling adds ~1e-5): no
                        # file can reproduce a fresh draw; the first sample's draw serves every sample.
                        warnings.warn(f"the model draws random numbers in eval mode; a constant {tuple(t.shape)} "
                                      "made from them is frozen to one draw, shared by every sample")
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
