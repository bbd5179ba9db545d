#!/usr/bin/env bash
# Sourced by tools/test.sh, example.sh, sanitize.sh and fuzz.sh: installs what a fresh Debian machine with
# Swift lacks (apt, as root or through sudo), and makes the Python virtual environment the tests and
# tools use. Debian's python3 is "externally managed" (PEP 668): pip may not install into it, so every
# Python package goes into .venv/ instead.

# apt_need PACKAGE FILE: installs PACKAGE unless FILE exists or dpkg knows the package.
apt_need() {
  if [ -e "$2" ] || dpkg -s "$1" >/dev/null 2>&1; then return 0; fi
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "installing $1 (apt)"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq "$1" >/dev/null
}

# The C libraries the package builds against: zlib and libdeflate (linked by the C1D library) and
# libsndfile (the convrun CLI only, which opens it with dlopen on its first audio file).
native_dependencies() {
  apt_need zlib1g-dev /usr/include/zlib.h
  apt_need libdeflate-dev /usr/include/libdeflate.h
  apt_need libsndfile1-dev /usr/include/sndfile.h
}

# Creates .venv (python3-venv installed if missing) with numpy, pytest and jsonschema, and the c1d
# package from tools/ (editable, so the tests see the working tree); puts it first on PATH.
python_environment() {
  if [ ! -x .venv/bin/python ]; then
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c "import ensurepip" >/dev/null 2>&1; then
      apt_need python3-venv ""
    fi
    python3 -m venv .venv
  fi
  if ! .venv/bin/python -c "import numpy, pytest, jsonschema, c1d" >/dev/null 2>&1; then
    local log
    log=$(mktemp)
    if ! { .venv/bin/python -m pip install -q --upgrade pip && .venv/bin/python -m pip install -q -e "./tools[test]"; } >"$log" 2>&1; then
      cat "$log"; rm -f "$log"; return 1
    fi
    rm -f "$log"
  fi
  export PATH="$PWD/.venv/bin:$PATH"
}

# The file's bytes written again by cp, keeping its inode and time (so the next build does not relink it).
# The linker writes its output through a memory map; a convrun fresh from it starts about 0.35 ms slower,
# every process, than the same bytes written by cp, as an installed binary's are (QuartzNet, one thread,
# whole process on a Zen 5 VM: 3.95 -> 3.58 ms; the page cache then holds the file in larger pieces).
# A rewrite refused (the file is running) leaves it as it was; one that fails part-way leaves no file, so
# that the next build links it again.
rewrite_in_place() {
  local file copy
  file=$(readlink -f "$1") || return 0
  copy=$(mktemp) || return 0
  if cp -p "$file" "$copy"; then
    { cat "$copy" >"$file" && touch -r "$copy" "$file"; } 2>/dev/null || cmp -s "$copy" "$file" || rm -f "$file"
  fi
  rm -f "$copy"
}

# Builds the release convrun (.build/release/convrun). On Linux it is one static executable: glibc, the
# Swift runtime, libstdc++, zlib and libdeflate linked in, so that a call starts with no dynamic loader
# (mapping libstdc++ and resolving its symbols alone took about 1 ms of every call; `convrun --version`
# 5.5 -> 2.4 ms). libsndfile is still opened with dlopen on the first audio file, which a static glibc
# program can do only with the glibc it was built against: build convrun on the machine (or image) it
# runs on. Where static linking fails (no libc.a or libstdc++.a), the Swift runtime alone is linked in.
#
# Generic metadata is reached through direct accessor calls rather than mangled names the Swift runtime
# demangles on first use (67 of them in a small model's process): whole process -2 to -4% (TCN,
# QuartzNet, WaveNet, ECG ResNet, Whisper's front at one thread; Zen 5, fresh copies alternated), warm
# runs within 1%.
release_cli() {
  local metadata=(-Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors)
  # The functions a run executes laid out together at the start of the code (tools/convrun.order, made by
  # tools/order_functions.sh; lld's symbol ordering, with every function in a section of its own): a cold
  # call fetches less code. QuartzNet's process -11% after a 15 ms pause, -13% back to back; Whisper's front
  # -4% (Zen 5, fresh copies alternated). Without lld, or should it fail, the linker's own layout.
  local layout=()
  if [ "$(uname -s)" = Linux ] && [ -f "$PWD/tools/convrun.order" ]; then
    layout=(-Xswiftc -use-ld=lld -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections
      -Xlinker "--symbol-ordering-file=$PWD/tools/convrun.order" -Xlinker --no-warn-symbol-ordering)
  fi
  if [ "$(uname -s)" = Linux ]; then
    if static_cli "${metadata[@]}" "${layout[@]}" ||
      { [ ${#layout[@]} -gt 0 ] && echo "note: convrun did not link with its function order; linking it without" >&2 &&
        static_cli "${metadata[@]}"; }; then
      rewrite_in_place .build/release/convrun
      return 0
    fi
    echo "note: a static convrun did not link (see above); linking only the Swift runtime statically" >&2
  fi
  swift build -c release --product convrun --static-swift-stdlib "${metadata[@]}" && rewrite_in_place .build/release/convrun
}

# One static executable (see release_cli), with the build's extra flags.
static_cli() {
  # glibc's linker warnings about dlopen and getpwnam in static programs are the caveat above.
  # (pipefail, set by every caller: the pipeline fails when swift build does.)
  swift build -c release --product convrun -Xswiftc -static-executable "$@" 2>&1 |
    { grep -v "in statically linked applications requires at runtime" || true; }
}
