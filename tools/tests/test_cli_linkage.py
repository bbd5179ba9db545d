"""Issue 16: convrun starts in a few milliseconds only while it stays off Foundation and libsndfile.

libFoundation.so pulls in FoundationInternationalization and ICU (~10 ms and ~10 MB RSS at every start);
FoundationEssentials alone (which swift-argument-parser uses) is allowed. libsndfile and its codecs cost
about 1 ms of every start: convrun opens it with dlopen on its first audio file (Sources/CSndFileLoader).
Linux only: ldd lists what the dynamic loader will map. The release build (tools/setup.sh, `release_cli`)
is a static executable with no dynamic loader at all: CI runs this file on it with CONVRUN_EXPECT_STATIC=1.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CONVRUN = os.environ.get("CONVRUN", os.path.join(ROOT, ".build-test", "release", "convrun"))

# Library file names as ldd prints them: "libFoundation.so => /path (0x...)".
FORBIDDEN = re.compile(r"^\s*(libFoundation\.so|libFoundationInternationalization\.so|lib_FoundationICU\.so|libicu\w*\.so)", re.M)
# libsndfile and the codec libraries it links (Debian 12); libstdc++ is not among them: the Swift runtime
# needs it anyway.
AUDIO = re.compile(r"^\s*(libsndfile\.so|libFLAC\.so|libvorbis\.so|libvorbisenc\.so|libopus\.so|libogg\.so|libmpg123\.so|libmp3lame\.so)", re.M)

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ldd is the Linux loader's view"),
    pytest.mark.skipif(shutil.which("ldd") is None, reason="ldd is not installed"),
    pytest.mark.skipif(not os.path.exists(CONVRUN), reason="convrun is not built (bash tools/test.sh, or set CONVRUN)"),
]


def has_interpreter(path: str) -> bool:
    """Whether the ELF file at `path` names a dynamic loader (a PT_INTERP program header)."""
    with open(path, "rb") as file:
        header = file.read(64)
        assert header[:4] == b"\x7fELF" and header[4] == 2, f"{path} is not a 64-bit ELF file"
        (program_offset,) = struct.unpack_from("<Q", header, 0x20)
        entry_size, entry_count = struct.unpack_from("<HH", header, 0x36)
        file.seek(program_offset)
        table = file.read(entry_size * entry_count)
    return any(struct.unpack_from("<I", table, index * entry_size)[0] == 3 for index in range(entry_count))


def linked_libraries() -> str:
    """ldd's list for a dynamic executable; nothing for a static one (ldd refuses it with status 1)."""
    if not has_interpreter(CONVRUN):
        return ""
    return subprocess.run(["ldd", CONVRUN], capture_output=True, text=True, check=True).stdout


def forbidden_libraries(ldd_output: str, pattern: re.Pattern[str] = FORBIDDEN) -> list[str]:
    return [match.group(1) for match in pattern.finditer(ldd_output)]


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
    libraries = linked_libraries()
    assert forbidden_libraries(libraries) == [], libraries


def test_the_pattern_catches_libsndfile_and_its_codecs():
    # ldd output of the binary that linked libsndfile, abridged.
    before = (
        "\tlibdeflate.so.0 => /lib/x86_64-linux-gnu/libdeflate.so.0 (0x1)\n"
        "\tlibsndfile.so.1 => /lib/x86_64-linux-gnu/libsndfile.so.1 (0x2)\n"
        "\tlibFLAC.so.12 => /lib/x86_64-linux-gnu/libFLAC.so.12 (0x3)\n"
        "\tlibvorbis.so.0 => /lib/x86_64-linux-gnu/libvorbis.so.0 (0x4)\n"
        "\tlibvorbisenc.so.2 => /lib/x86_64-linux-gnu/libvorbisenc.so.2 (0x5)\n"
        "\tlibopus.so.0 => /lib/x86_64-linux-gnu/libopus.so.0 (0x6)\n"
        "\tlibogg.so.0 => /lib/x86_64-linux-gnu/libogg.so.0 (0x7)\n"
        "\tlibmpg123.so.0 => /lib/x86_64-linux-gnu/libmpg123.so.0 (0x8)\n"
        "\tlibmp3lame.so.0 => /lib/x86_64-linux-gnu/libmp3lame.so.0 (0x9)\n"
        "\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0xa)\n"
    )
    assert forbidden_libraries(before, AUDIO) == [
        "libsndfile.so",
        "libFLAC.so",
        "libvorbis.so",
        "libvorbisenc.so",
        "libopus.so",
        "libogg.so",
        "libmpg123.so",
        "libmp3lame.so",
    ]


def test_convrun_does_not_link_libsndfile():
    libraries = linked_libraries()
    assert forbidden_libraries(libraries, AUDIO) == [], libraries


def test_the_interpreter_check_tells_static_from_dynamic():
    # The Python running this test is a dynamic executable: the check must see its loader.
    assert has_interpreter(os.path.realpath(sys.executable))


@pytest.mark.skipif(os.environ.get("CONVRUN_EXPECT_STATIC") != "1", reason="set for the release build")
def test_release_convrun_starts_without_a_dynamic_loader():
    # The dynamic loader's work (libstdc++ above all) was about 1 ms of every call: the release build
    # links statically, and a change that silently falls back to a dynamic link must show here.
    assert not has_interpreter(CONVRUN), f"{CONVRUN} is dynamically linked; build it with tools/setup.sh's release_cli"


ORDER = os.path.join(ROOT, "tools", "convrun.order")


def ordered_span(path: str, names: list[str]) -> tuple[float, int]:
    """Of the first 1000 of `names` the executable at `path` defines as code: the MiB that hold 95% of them
    (from the lowest address) and the 4 KiB pages they touch."""
    symbols = subprocess.run(["nm", path], capture_output=True, text=True, check=True).stdout
    address: dict[str, int] = {}
    for line in symbols.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] in "tTwW":
            address.setdefault(fields[2], int(fields[0], 16))
    found = sorted(address[name] for name in names[:1000] if name in address)
    assert len(found) >= 900, f"only {len(found)} of the first 1000 ordered functions are in {path}"
    return (found[int(len(found) * 0.95) - 1] - found[0]) / 2**20, len({a >> 12 for a in found})


@pytest.mark.skipif(shutil.which("nm") is None, reason="nm is not installed")
@pytest.mark.skipif(os.environ.get("CONVRUN_EXPECT_STATIC") != "1", reason="set for the release build")
def test_release_convrun_lays_out_what_a_run_executes_together():
    """release_cli links with tools/convrun.order: the functions a run executes (traced by
    tools/order_functions.sh) lie together at the start of the code, so that a cold call fetches fewer pages.
    Laid out by the linker alone they spread over ~11 MiB (382 pages for the first 1000); ordered, ~3 MiB."""
    names = open(ORDER).read().split()
    span, pages = ordered_span(CONVRUN, names)
    assert span < 5 and pages < 250, f"the first 1000 ordered functions span {span:.1f} MiB and {pages} pages of {CONVRUN}"
