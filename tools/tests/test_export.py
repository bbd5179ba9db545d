"""The PyTorch exporter (needs torch; skipped where it is not installed, as in CI)."""

from __future__ import annotations

import os
import sys

import pytest

torch = pytest.importorskip("torch")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

import c1d  # noqa: E402


class WithAbs(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv1d(2, 3, 3)

    def forward(self, x):
        return torch.abs(self.conv(x))


def test_unsupported_op_is_named(tmp_path):
    with pytest.raises(c1d.UnsupportedOperation, match="abs"):
        c1d.export(WithAbs(), torch.randn(1, 2, 10), tmp_path / "m.c1d")


def test_unsupported_module_is_named(tmp_path):
    model = torch.nn.Sequential(torch.nn.Conv1d(2, 3, 3), torch.nn.LSTM(3, 3))
    with pytest.raises(c1d.UnsupportedOperation, match="LSTM"):
        c1d.export(model, torch.randn(1, 2, 10), tmp_path / "m.c1d")


def test_export_round_trips_weights(tmp_path):
    conv = torch.nn.Conv1d(4, 6, 3, padding="same", padding_mode="reflect")
    model = c1d.export(conv, torch.randn(1, 4, 20), tmp_path / "m.c1d", dtype="f32", codec="shuffle-deflate")
    back = c1d.load(tmp_path / "m.c1d")
    assert back.graph["nodes"][0]["attributes"]["padding"] == "same"
    for name, values in model.tensors.items():
        assert (back.tensors[name] == values).all()
