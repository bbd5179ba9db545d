"""The zoo's quick subset (torch.nn-only architectures): each must export and match PyTorch.

Skipped without torch. Without convrun the export is still checked by the reference interpreter.
"""

from __future__ import annotations

import os
import sys

import pytest

pytest.importorskip("torch")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

import zoo  # noqa: E402

QUICK = [m for m in zoo.MODELS if m[3]]


@pytest.mark.parametrize("name,package,build,quick", QUICK, ids=[m[0] for m in QUICK])
def test_quick_zoo_model_exports_and_matches(name, package, build, quick, tmp_path):
    row = zoo.run_one(name, package, build, zoo.find_convrun(None), str(tmp_path), seed=7)
    assert row["status"] in ("pass", "pass-ref"), row
    assert row["ops"] and row["export_s"] > 0


def test_zoo_reports_a_mismatch_as_such(tmp_path, monkeypatch):
    """A broken mapping must show as a mismatch, not a pass: corrupt every exported conv weight."""
    import c1d.export_graph as graph

    original = graph.Converter.emit

    def corrupt(self, op, inputs, attributes=None, params=None, outputs=1):
        if op == "conv1d" and params:
            params = dict(params, weight=params["weight"] * 1.01)
        return original(self, op, inputs, attributes, params, outputs)

    monkeypatch.setattr(graph.Converter, "emit", corrupt)
    name, package, build, _ = QUICK[0]
    row = zoo.run_one(name, package, build, None, str(tmp_path), seed=7)
    assert row["status"] == "mismatch" and "differs from PyTorch" in row["detail"]
