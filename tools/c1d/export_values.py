"""The values the Converter works with (see export_graph.py) and the tables of ATen ops it knows."""

from __future__ import annotations

from dataclasses import dataclass


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
