"""Issue 16: convrun starts in a few milliseconds only while it stays off Foundation.

libFoundation.so pulls in FoundationInternationalization and ICU (~10 ms and ~10 MB RSS at every start);
FoundationEssentials alone (which swift-argument-parser uses) is allowed. Linux only: ldd lists what the
dynamic loader will map.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CONVRUN = os.environ.get("CONVRUN", os.path.join(ROOT, ".build", "debug", "convrun"))

# Library file names as ldd prints them: "libFoundation.so => /path (0x...)".
FORBIDDEN = re.compile(r"^\s*(libFoundation\.so|libFoundationInternationalization\.so|lib_FoundationICU\.so|libicu\w*\.so)", re.M)

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ldd is the Linux loader's view"),
    pytest.mark.skipif(shutil.which("ldd") is None, reason="ldd is not installed"),
    pytest.mark.skipif(not os.path.exists(CONVRUN), reason="convrun is not built (swift build)"),
]


def forbidden_libraries(ldd_output: str) -> list[str]:
    return [match.group(1) for match in FORBIDDEN.finditer(ldd_output)]


def test_the_pattern_catches_foundation_and_icu():
    # ldd output of the binary before issue 16, abridged: the check must see what it forbids.
    before = (
        "\tlibFoundationEssentials.so => /opt/swift/usr/lib/swift/linux/libFoundationEssentials.so (0x1)\n"
        "\tlibFoundation.so => /opt/swift/usr/lib/swift/linux/libFoundation.so (0x2)\n"
        "\tlibFoundationInternationalization.so => /x/libFoundationInternationalization.so (0x3)\n"
        "\tlib_FoundationICU.so => /x/lib_FoundationICU.so (0x4)\n"
        "\tlibicuuc.so.72 => /usr/lib/x86_64-linux-gnu/libicuuc.so.72 (0x5)\n"
    )
    assert forbidden_libraries(before) == [
        "libFoundation.so",
        "libFoundationInternationalization.so",
        "lib_FoundationICU.so",
        "libicuuc.so",
    ]


def test_convrun_links_neither_foundation_nor_icu():
    result = subprocess.run(["ldd", CONVRUN], capture_output=True, text=True, check=True)
    assert forbidden_libraries(result.stdout) == [], result.stdout
