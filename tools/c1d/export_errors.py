"""Typed errors of c1d.export, with the place in the user's model they come from."""

from __future__ import annotations

import os


class UnsupportedOperation(ValueError):
    """The module does something .c1d cannot express. The message names the ATen op, the module path
    (from nn_module_stack) and the user's source line (from the node's stack trace), and what to do."""

    def __init__(self, what, node=None, hint=None):
        self.what = what
        self.aten = _aten_name(node) if node is not None else None
        self.module = _module_path(node) if node is not None else None
        self.source = _source_line(node) if node is not None else None
        self.hint = hint
        lines = [what]
        if self.aten:
            lines.append(f"  op: {self.aten}")
        if self.module:
            lines.append(f"  module: {self.module}")
        if self.source:
            lines.append(f"  source: {self.source}")
        if hint:
            lines.append(f"  what to do: {hint}")
        super().__init__("\n".join(lines))


class ExportCheckError(RuntimeError):
    """The written file does not reproduce PyTorch (shapes or values); nothing is left at the path."""


def _aten_name(node):
    target = node.target
    name = getattr(target, "name", None)
    if callable(name):
        try:
            return name().replace("::", ".")
        except Exception:  # noqa: BLE001 - a name is only decoration for the message
            pass
    return f"{getattr(target, '__module__', '')}.{getattr(target, '__name__', target)}".lstrip(".")


def _module_path(node):
    stack = node.meta.get("nn_module_stack") or {}
    if not stack:
        return None
    path, kind = list(stack.values())[-1]
    path = path.replace("L['self'].", "").replace("L__self___", "") or "<root>"
    kind = kind if isinstance(kind, str) else f"{kind.__module__}.{kind.__qualname__}"
    return f"{path} ({kind})"


def _source_line(node):
    trace = node.meta.get("stack_trace")
    if not trace:
        return None
    frames = []
    lines = [line.strip() for line in trace.strip().splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if line.startswith("File "):
            code = lines[i + 1] if i + 1 < len(lines) and not lines[i + 1].startswith("File ") else ""
            frames.append(f"{line}: {code}".rstrip(": "))
    if not frames:
        return lines[-1] if lines else None
    # The innermost frame is last; the user's line is the innermost one outside torch itself.
    user = [f for f in frames if _TORCH_DIR not in f]
    return user[-1] if user else frames[-1]


_TORCH_DIR = os.path.join("site-packages", "torch") + os.sep
