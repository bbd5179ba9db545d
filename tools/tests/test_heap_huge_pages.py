"""Issue 16: the heap the CLI advises for transparent huge pages starts where its next allocations do.

`c1d_heap_prefer_huge_pages` (Sources/CC1DKernels/memory.c) advises the 2 MiB-aligned middle of a large
block and frees it; the allocations that follow begin at the block's start, up to 2 MiB below that range,
where they faulted in 4 KiB at a time (about 200 faults of a small model's whole process, 4-10% of it).
A fresh C process checks that its first allocation after the call lies in the advised range.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
KERNELS = os.path.join(ROOT, "Sources", "CC1DKernels")

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="transparent huge pages are Linux's")


def compiler() -> str | None:
    return next((c for c in ("clang", "cc", "gcc") if shutil.which(c)), None)


@pytest.mark.skipif(compiler() is None, reason="no C compiler")
def test_first_allocation_after_the_advice_is_in_the_advised_range(tmp_path):
    binary = tmp_path / "heap_huge_pages"
    subprocess.run(
        # (The header's nullability annotations are clang's: spelled away for another compiler.)
        [compiler(), "-O2", "-D_Nonnull=", "-D_Nullable=", "-I", os.path.join(KERNELS, "include"), os.path.join(HERE, "c", "heap_huge_pages.c"),
         os.path.join(KERNELS, "memory.c"), "-o", str(binary)],
        check=True)
    result = subprocess.run([str(binary)], capture_output=True, text=True, check=True).stdout.strip()
    if result == "skipped":
        pytest.skip("this system gives no huge-page advice (no THP, or not glibc)")
    assert result == "advised"
