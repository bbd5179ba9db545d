"""Issue 16: tools/setup.sh rewrites the freshly linked convrun in place (`rewrite_in_place`), the same
bytes written by cp, so that its starts are an installed binary's; the file keeps its inode and
modification time, so that the next `swift build` does not link it again."""

from __future__ import annotations

import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
SETUP = os.path.abspath(os.path.join(HERE, "..", "setup.sh"))


def rewrite(path: str) -> None:
    subprocess.run(["bash", "-c", f'source "{SETUP}" && rewrite_in_place "$1"', "rewrite", path], check=True)


def test_rewrite_keeps_bytes_inode_and_time(tmp_path):
    target = tmp_path / "convrun"
    payload = os.urandom(3 << 20)
    target.write_bytes(payload)
    os.utime(target, ns=(1_600_000_000_000_000_000, 1_600_000_000_123_456_789))
    before = os.stat(target)
    link = tmp_path / "link"
    link.symlink_to(target)  # as .build/release is a symlink
    rewrite(str(link))
    after = os.stat(target)
    assert target.read_bytes() == payload
    assert after.st_ino == before.st_ino
    assert after.st_mtime_ns == before.st_mtime_ns
    assert link.is_symlink()
