"""Issue 14, the Python side of the format: trailing bytes are refused, saves honour the umask."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools"))

from c1d import format as f  # noqa: E402

SEED = os.path.join(ROOT, "Fixtures", "seed", "model.c1d")


def test_load_refuses_100_appended_bytes():
    data = open(SEED, "rb").read()
    f.load(data)
    with pytest.raises(f.FormatError, match=r"100 trailing bytes"):
        f.load(data + np.random.default_rng(14).integers(0, 256, 100, dtype=np.uint8).tobytes())


def test_every_fixture_still_loads():
    count = 0
    for directory, _, files in os.walk(os.path.join(ROOT, "Fixtures")):
        if "malformed" in directory:
            continue
        for name in files:
            if name.endswith(".c1d"):
                f.load(os.path.join(directory, name))
                count += 1
    assert count > 100


def test_save_honours_the_umask(tmp_path):
    model = f.load(SEED)
    old = os.umask(0o022)
    try:
        f.save(model, tmp_path / "a.c1d")
        os.umask(0o077)
        f.save(model, tmp_path / "b.c1d")
    finally:
        os.umask(old)
    assert oct(os.stat(tmp_path / "a.c1d").st_mode & 0o777) == oct(0o644)
    assert oct(os.stat(tmp_path / "b.c1d").st_mode & 0o777) == oct(0o600)
