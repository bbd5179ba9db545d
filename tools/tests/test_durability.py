"""A save never damages an existing file: killed mid-save, out of space, or refused by the system."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools"))

from c1d import format as f  # noqa: E402

FIXTURES = os.path.join(ROOT, "Fixtures")
CONVRUN = os.environ.get("CONVRUN", os.path.join(ROOT, ".build-test", "release", "convrun"))
pytestmark = pytest.mark.skipif(not os.path.exists(CONVRUN), reason="convrun is not built (bash tools/test.sh, or set CONVRUN)")

BIG = os.path.join(FIXTURES, "architectures", "wav2vec2_feature_encoder", "model.c1d")
OLD = os.path.join(FIXTURES, "architectures", "tcn", "model.c1d")


@pytest.mark.parametrize("delay", [0.0, 0.01, 0.03, 0.06, 0.1, 0.2, 0.4, 0.8])
def test_sigkill_during_save_leaves_the_old_or_the_new_file(tmp_path, delay):
    target = tmp_path / "model.c1d"
    shutil.copy(OLD, target)
    old = target.read_bytes()
    process = subprocess.Popen([CONVRUN, "convert", BIG, str(target), "--codec", "shuffle-deflate", "--level", "9"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait()
    now = target.read_bytes()
    if now != old:
        # The rename happened: the new file must be whole and valid.
        model = f.load(now)
        assert set(model.tensors) == set(f.load(BIG).tensors)
    else:
        f.load(now)
    result = subprocess.run([CONVRUN, "validate", str(target)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_unwritable_location_is_a_typed_error_and_touches_nothing(tmp_path):
    result = subprocess.run([CONVRUN, "convert", OLD, "/proc/c1d-cannot-write-here.c1d"], capture_output=True, text=True)
    assert result.returncode == 1
    assert "create temporary file failed" in result.stderr
    missing = tmp_path / "no" / "such" / "dir" / "model.c1d"
    result = subprocess.run([CONVRUN, "convert", OLD, str(missing)], capture_output=True, text=True)
    assert result.returncode == 1 and "No such file or directory" in result.stderr


def test_disk_full_is_a_typed_error_and_keeps_the_old_file(tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root and mount permission)")
    try:
        target = mount / "model.c1d"
        shutil.copy(OLD, target)
        old = target.read_bytes()
        result = subprocess.run([CONVRUN, "convert", BIG, str(target), "--codec", "none"], capture_output=True, text=True)
        assert result.returncode == 1
        assert "No space left on device" in result.stderr
        assert target.read_bytes() == old
        assert sorted(os.listdir(mount)) == ["model.c1d"]  # the temporary file was removed
    finally:
        subprocess.run(["umount", str(mount)])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RENAME_EXCHANGE is Linux's")
@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_an_output_over_an_existing_file_is_exchanged_in_not_renamed_over(tmp_path):
    # A plain rename over an existing file makes ext4 start writing the new file out during rename; an
    # exchange and an unlink do not. The static release binary once lost the exchange (dlsym found nothing).
    seed = os.path.join(FIXTURES, "seed")
    out = tmp_path / "out.npy"
    out.write_bytes(b"the old output")
    trace = tmp_path / "trace"
    result = subprocess.run(["strace", "-f", "-o", str(trace), "-e", "trace=/^rename",
                             CONVRUN, os.path.join(seed, "model.c1d"), os.path.join(seed, "input.npy"), "-o", str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    calls = [line for line in trace.read_text().splitlines() if "rename" in line]
    if any(re.search(r"RENAME_EXCHANGE\) = -1 E(INVAL|NOSYS)", line) for line in calls):
        pytest.skip("this file system or kernel cannot exchange names: the plain rename is the intended fallback")
    assert len(calls) == 1 and re.search(r"renameat2\(.*RENAME_EXCHANGE\) = 0", calls[0]), calls
    assert out.read_bytes()[:6] == b"\x93NUMPY"
    assert sorted(os.listdir(tmp_path)) == ["out.npy", "trace"]  # the old file went with the temporary name
