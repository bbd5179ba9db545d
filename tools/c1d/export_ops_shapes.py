"""Padding, slicing, joining, views, and sources (groups) of separation models.

A part of the Converter of export_graph.py (a mixin: `self` is the Converter)."""

from __future__ import annotations

import torch

from .export_values import _BROADCASTING, _INT_MAX, _relabel, Broadcast, Group, Val


class ShapeOps:
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
