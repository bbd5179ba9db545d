"""Convolutions, normalisation layers, linear layers, pooling and resampling.

A part of the Converter of export_graph.py (a mixin: `self` is the Converter)."""

from __future__ import annotations

import torch

from .export_values import _one, Val


class LayerOps:
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
