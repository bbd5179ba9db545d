"""`convrun stream` end to end: PyTorch models exported with c1d.export, streamed through a pipe in chunks
of 1, 160 and 4096 frames, compared with PyTorch's offline output (needs torch; skipped without it)."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(HERE, ".."))

import c1d  # noqa: E402

CONVRUN = os.environ.get("CONVRUN", os.path.join(ROOT, ".build-test", "release", "convrun"))
pytestmark = pytest.mark.skipif(not os.path.exists(CONVRUN), reason="convrun is not built (bash tools/test.sh, or set CONVRUN)")


class Causal(torch.nn.Module):
    """A TCN-style causal stack: left padding only, dilations, a residual add."""

    def __init__(self):
        super().__init__()
        self.a = torch.nn.Conv1d(2, 8, 3, dilation=1)
        self.b = torch.nn.Conv1d(8, 8, 3, dilation=4)
        self.out = torch.nn.Conv1d(8, 3, 1)

    def forward(self, x):
        h = torch.relu(self.a(torch.nn.functional.pad(x, (2, 0))))
        h = h + torch.tanh(self.b(torch.nn.functional.pad(h, (8, 0))))
        return self.out(h)


class NonCausal(torch.nn.Module):
    """Centred kernels with reflect and replicate padding, a strided conv, a pool."""

    def __init__(self):
        super().__init__()
        self.a = torch.nn.Conv1d(2, 6, 5, padding=2, padding_mode="reflect")
        self.b = torch.nn.Conv1d(6, 6, 4, stride=2, padding=3, padding_mode="replicate")
        self.pool = torch.nn.MaxPool1d(3, stride=1, padding=1)
        self.out = torch.nn.Conv1d(6, 2, 3, padding="same")

    def forward(self, x):
        return self.out(self.pool(torch.nn.functional.gelu(self.b(torch.relu(self.a(x))))))


class Pooling(torch.nn.Module):
    """A classifier: convs, a global average pool, a linear layer."""

    def __init__(self):
        super().__init__()
        self.a = torch.nn.Conv1d(2, 8, 5, stride=2, padding=2)
        self.pool = torch.nn.AdaptiveAvgPool1d(1)
        self.fc = torch.nn.Linear(8, 4)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(torch.relu(self.a(x))), 1))


def export(module, path, channels=2):
    torch.manual_seed(0)
    module = module.eval()
    c1d.export(module, torch.randn(1, channels, 64), path, dtype="f32")
    return module


def stream(model, frames, chunk):
    """Runs `convrun stream` on (L, C) time-major frames; returns stdout as float32."""
    result = subprocess.run(
        [CONVRUN, "stream", str(model), "--chunk", str(chunk), "--threads", "1"],
        input=frames.astype("<f4").tobytes(), capture_output=True, timeout=300)
    assert result.returncode == 0, result.stderr.decode()
    return np.frombuffer(result.stdout, dtype="<f4")


def relative_error(actual, expected):
    return float(np.max(np.abs(actual - expected)) / max(1.0, float(np.max(np.abs(expected)))))


@pytest.mark.parametrize("module", [Causal, NonCausal, Pooling])
@pytest.mark.parametrize("chunk", [1, 160, 4096])
def test_stream_equals_pytorch(tmp_path, module, chunk):
    torch.manual_seed(1)
    model = export(module(), tmp_path / "m.c1d")
    torch.manual_seed(2)
    x = torch.randn(1, 2, 5003)
    with torch.no_grad():
        expected = model.eval()(x)[0].numpy()
    out = stream(tmp_path / "m.c1d", x[0].numpy().T, chunk)
    if expected.ndim == 2:  # (C, L): time-major on the wire
        out = out.reshape(-1, expected.shape[0]).T
    assert out.shape == expected.shape
    assert relative_error(out, expected) <= 1e-5


def test_frames_come_out_before_the_input_ends(tmp_path):
    """A causal model's frames arrive while the pipe is still open: the stream is live."""
    export(Causal(), tmp_path / "m.c1d")
    process = subprocess.Popen([CONVRUN, "stream", str(tmp_path / "m.c1d"), "--threads", "1"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        process.stdin.write(np.ones((10, 2), dtype="<f4").tobytes())
        process.stdin.flush()
        got = b""
        deadline = time.time() + 60
        while len(got) < 10 * 3 * 4 and time.time() < deadline:
            ready, _, _ = select.select([process.stdout], [], [], 1)
            if ready:
                got += os.read(process.stdout.fileno(), 4096)
        assert len(got) == 10 * 3 * 4, "a causal model owes one output frame per input frame"
    finally:
        process.stdin.close()
        process.wait(timeout=60)
    assert process.returncode == 0


def test_circular_padding_is_refused_by_name(tmp_path):
    export(torch.nn.Conv1d(2, 2, 3, padding=1, padding_mode="circular"), tmp_path / "m.c1d")
    result = subprocess.run([CONVRUN, "stream", str(tmp_path / "m.c1d")], input=b"", capture_output=True, timeout=60)
    assert result.returncode == 1
    assert b"circular" in result.stderr and b"cannot stream" in result.stderr
    assert result.stdout == b""


def test_group_norm_is_refused_by_name(tmp_path):
    module = torch.nn.Sequential(torch.nn.Conv1d(2, 4, 3), torch.nn.GroupNorm(2, 4))
    export(module, tmp_path / "m.c1d")
    result = subprocess.run([CONVRUN, "stream", str(tmp_path / "m.c1d")], input=b"", capture_output=True, timeout=60)
    assert result.returncode == 1
    assert b"GroupNorm" in result.stderr
