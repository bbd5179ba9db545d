"""Issue 14: convrun as a new user meets it. Audio in and out, honest messages, pipes and many files.

Drives the built binary ($CONVRUN). Audio files are written with the standard library's `wave`, so the
test does not depend on the reader it checks.
"""

from __future__ import annotations

import json
import os
import re
import stat
import struct
import subprocess
import sys
import time
import wave

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools"))

from c1d import format as f  # noqa: E402

CONVRUN = os.environ.get("CONVRUN", os.path.join(ROOT, ".build-test", "release", "convrun"))
pytestmark = pytest.mark.skipif(not os.path.exists(CONVRUN), reason="convrun is not built (bash tools/test.sh, or set CONVRUN)")
SEED = os.path.join(ROOT, "Fixtures", "seed")
SEED_MODEL = os.path.join(SEED, "model.c1d")
WAV2VEC = os.path.join(ROOT, "Fixtures", "architectures", "wav2vec2_feature_encoder", "model.c1d")
QUARTZNET = os.path.join(ROOT, "Fixtures", "architectures", "quartznet_block", "model.c1d")


def convrun(*args, stdin: bytes | None = None, text=True, env: dict[str, str] | None = None):
    if stdin is not None:
        return subprocess.run([CONVRUN, *args], input=stdin, capture_output=True, env=env)
    return subprocess.run([CONVRUN, *args], capture_output=True, text=text, env=env)


def write_wav(path, samples: np.ndarray, rate: int) -> None:
    """samples: int16 of shape (frames, channels)."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(samples.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())


def tone(frames: int, channels: int = 1) -> np.ndarray:
    t = np.arange(frames)
    return np.stack([(np.sin(t * 0.05 * (c + 1)) * 12000).astype(np.int16) for c in range(channels)], axis=1)


@pytest.fixture(scope="module")
def signal_model(tmp_path_factory):
    """A tensorless stereo model at 8 kHz whose output is a signal: relu(x)."""
    graph = {"inputs": [{"name": "input", "channels": 2, "length": None, "sample_rate": 8000.0}],
             "nodes": [{"name": "act", "op": "relu", "inputs": ["input"], "outputs": ["act"], "attributes": {},
                        "params": {}}],
             "outputs": ["act"]}
    path = tmp_path_factory.mktemp("models") / "relu.c1d"
    f.save(f.Model(graph=graph, tensors={}, metadata={"name": ("string", "relu")}), str(path))
    return str(path)


# ---- audio ----------------------------------------------------------------------------------

def test_wav_runs_as_audio_not_raw_float32(tmp_path):
    samples = tone(16000)
    path = tmp_path / "tone.wav"
    write_wav(path, samples, 16000)
    out = tmp_path / "out.npy"
    result = convrun(WAV2VEC, str(path), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "read as (1, 1, 16000) from WAV PCM 16-bit, 16000 Hz" in result.stdout
    y = np.load(out)
    assert np.isfinite(y).all() and y.shape[:2] == (1, 512)


def test_audio_is_recognised_by_content_not_extension(tmp_path):
    path = tmp_path / "tone.bin"
    write_wav(path, tone(16000), 16000)
    result = convrun(WAV2VEC, str(path))
    assert result.returncode == 0, result.stderr
    assert "from WAV" in result.stdout and "nan" not in result.stdout


def test_audio_scaling_is_int16_over_32768(tmp_path, signal_model):
    samples = np.array([[16384, -8192], [-32768, 32767], [100, 0]], dtype=np.int16)
    path = tmp_path / "s.wav"
    write_wav(path, samples, 8000)
    out = tmp_path / "y.npy"
    assert convrun(signal_model, str(path), "-o", str(out)).returncode == 0
    expected = np.maximum(samples.T[None].astype(np.float32) / 32768, 0)
    np.testing.assert_array_equal(np.load(out), expected)


def test_audio_channels_and_sample_rate_are_checked(tmp_path):
    stereo = tmp_path / "stereo.wav"
    write_wav(stereo, tone(16000, channels=2), 16000)
    result = convrun(WAV2VEC, str(stereo))
    assert result.returncode == 1
    assert "has 2 channels, the model's input 'input' takes 1 channel;" in result.stderr
    slow = tmp_path / "slow.wav"
    write_wav(slow, tone(8000), 8000)
    result = convrun(WAV2VEC, str(slow))
    assert result.returncode == 1
    assert "sampled at 8000 Hz" in result.stderr and "expects 16000 Hz" in result.stderr
    assert "--ignore-sample-rate" in result.stderr
    result = convrun(WAV2VEC, str(slow), "--ignore-sample-rate")
    assert result.returncode == 0, result.stderr


def test_wav_output_for_a_signal_model(tmp_path, signal_model):
    samples = tone(1000, channels=2)
    path = tmp_path / "in.wav"
    write_wav(path, samples, 8000)
    out = tmp_path / "out.wav"
    result = convrun(signal_model, str(path), "-o", str(out))
    assert result.returncode == 0, result.stderr
    data = out.read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    # fmt chunk: format 3 (IEEE float), 2 channels, 8000 Hz, 32 bits.
    fmt = data.index(b"fmt ")
    tag, channels, rate = np.frombuffer(data[fmt + 8:fmt + 16], dtype="<u2")[:2].tolist() + \
        [int(np.frombuffer(data[fmt + 12:fmt + 16], dtype="<u4")[0])]
    assert (tag, channels, rate) == (3, 2, 8000)
    # Reading the written WAV back gives the output again.
    again = tmp_path / "again.npy"
    assert convrun(signal_model, str(out), "-o", str(again)).returncode == 0
    np.testing.assert_array_equal(np.load(again), np.maximum(samples.T[None] / 32768, 0).astype(np.float32))


def test_wav_output_refused_when_the_output_is_not_a_signal(tmp_path):
    result = convrun(SEED_MODEL, os.path.join(SEED, "input.npy"), "-o", str(tmp_path / "y.wav"))
    assert result.returncode == 1
    assert "a WAV holds one signal" in result.stderr and not (tmp_path / "y.wav").exists()


def test_without_libsndfile_audio_is_an_error_and_everything_else_runs(tmp_path, signal_model):
    """libsndfile is opened on the first audio file; C1D_SNDFILE_LIBRARY names the only file it tries."""
    missing = str(tmp_path / "libsndfile.so.1")
    env = {**os.environ, "C1D_SNDFILE_LIBRARY": missing}
    speech = tmp_path / "speech.wav"
    write_wav(speech, tone(16000), 16000)
    result = convrun(WAV2VEC, str(speech), env=env)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith(f"error: reading {speech} needs libsndfile ({missing}), which could not be loaded: {missing}")
    assert "install it (" in result.stderr and "Traceback" not in result.stderr
    np.save(tmp_path / "x.npy", np.zeros((1, 2, 100), dtype=np.float32))
    result = convrun(signal_model, str(tmp_path / "x.npy"), "-o", str(tmp_path / "y.wav"), env=env)
    assert result.returncode == 1 and "writing WAV float32 audio needs libsndfile" in result.stderr
    assert not (tmp_path / "y.wav").exists()
    assert convrun("--version", env=env).returncode == 0
    result = convrun(SEED_MODEL, os.path.join(SEED, "input.npy"), env=env)
    assert result.returncode == 0, result.stderr


# ---- non-finite inputs ----------------------------------------------------------------------

def test_nonfinite_inputs_are_refused_unless_allowed(tmp_path):
    x = np.zeros((1, 16, 50), dtype=np.float32)
    x[0, 2, 7] = np.nan
    x[0, 3, 0] = np.inf
    path = tmp_path / "x.bin"
    x.tofile(path)
    result = convrun(SEED_MODEL, str(path))
    assert result.returncode == 1
    assert "2 of 800 values are not finite" in result.stderr
    assert "first at flat index 107 = (0, 2, 7)" in result.stderr
    assert "is this raw float32?" in result.stderr and "--allow-nonfinite" in result.stderr
    assert convrun(SEED_MODEL, str(path), "--allow-nonfinite").returncode == 0


# ---- memory ---------------------------------------------------------------------------------

def test_bench_refuses_a_huge_run_before_allocating():
    result = convrun("bench", SEED_MODEL, "--length", "100000000", "--batch", "100")
    assert result.returncode == 1
    assert "run-time memory limit" in result.stderr and "--memory-limit" in result.stderr
    assert "loader" not in result.stderr and "Fatal error" not in result.stderr


def test_memory_limit_flag_on_run_and_bench():
    npy = os.path.join(SEED, "input.npy")
    result = convrun(SEED_MODEL, npy, "--memory-limit", "1K")
    assert result.returncode == 1 and "memory limit of 1.0 KiB (1024 bytes)" in result.stderr
    assert convrun(SEED_MODEL, npy, "--memory-limit", "64M").returncode == 0
    result = convrun("bench", SEED_MODEL, "--length", "50", "--memory-limit", "100", "--iterations", "1")
    assert result.returncode == 1 and "100 bytes" in result.stderr
    assert convrun("bench", SEED_MODEL, "--length", "50", "--memory-limit", "1G", "--iterations", "1").returncode == 0


def test_memory_limit_below_the_layer_by_layer_peak_runs_a_streamable_model_in_tiles(tmp_path):
    # TCN at 50 000 frames: ~14.5 MiB of input and activations layer by layer; in time tiles its 4.8 MiB
    # output and a few MiB of tiles.
    model = os.path.join(ROOT, "Fixtures", "architectures", "tcn", "model.c1d")
    x = np.random.default_rng(5).standard_normal((1, 1, 50_000)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    full, tiled = tmp_path / "full.npy", tmp_path / "tiled.npy"
    assert convrun(model, str(tmp_path / "x.npy"), "-o", str(full), "--threads", "1").returncode == 0
    result = convrun(model, str(tmp_path / "x.npy"), "-o", str(tiled), "--threads", "1", "--memory-limit", "10M")
    assert result.returncode == 0, result.stderr
    np.testing.assert_allclose(np.load(tiled), np.load(full), rtol=1e-5, atol=1e-6)
    result = convrun(model, str(tmp_path / "x.npy"), "-o", str(tiled), "--memory-limit", "4M")
    assert result.returncode == 1 and "above the run-time memory limit of 4.0 MiB" in result.stderr


def test_a_limit_between_the_activations_and_activations_plus_input_tiles_instead_of_refusing(tmp_path):
    # The limit covers the input too. A limit that the layer-by-layer activations alone fit under, but not
    # with the input, must leave the run the rest, so that it tiles (as a lower limit does: refusals are
    # monotonic in the limit) and stays within the limit (a layer-by-layer run would peak ~10 MiB above it).
    model = os.path.join(ROOT, "Fixtures", "architectures", "tcn", "model.c1d")
    length = 250_000
    layered = convrun("profile", model, "--length", str(length), "--memory-limit", "1K")
    assert layered.returncode == 1, layered.stderr
    total = int(re.search(r"need [^(]*\((\d+) bytes\)", layered.stderr).group(1))
    input_bytes = length * 4
    x = np.random.default_rng(6).standard_normal((1, 1, length)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    full, limited = tmp_path / "full.npy", tmp_path / "limited.npy"
    assert convrun(model, str(tmp_path / "x.npy"), "-o", str(full), "--threads", "1").returncode == 0
    limit = total - input_bytes // 2
    result = convrun(model, str(tmp_path / "x.npy"), "-o", str(limited), "--threads", "1", "--memory-limit", str(limit))
    assert result.returncode == 0, result.stderr
    np.testing.assert_allclose(np.load(limited), np.load(full), rtol=1e-5, atol=1e-6)
    # bench reports its own peak (VmHWM): the model, input, output and tiles stay under the limit.
    result = convrun("bench", model, "--input", str(tmp_path / "x.npy"), "--threads", "1", "--warmup", "0",
                     "--iterations", "1", "--json", "--memory-limit", str(limit))
    assert result.returncode == 0, result.stderr
    peak = json.loads(result.stdout)["peak_rss_mib"] * 2**20
    assert peak < limit, f"bench --memory-limit {limit}: peak RSS {peak:.0f} bytes"


def run_with_terminal_stderr(args: list[str]) -> tuple[int, str]:
    """Runs convrun with its stderr on a pseudo-terminal (the progress bar shows only there)."""
    import pty
    try:
        master, slave = pty.openpty()
    except OSError as error:
        pytest.skip(f"no pseudo-terminal here: {error}")
    process = subprocess.Popen([CONVRUN, *args], stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return process.wait(), b"".join(chunks).decode(errors="replace")


def test_a_batch_runs_in_slices_for_the_progress_bar_only_where_the_limit_leaves_room(tmp_path):
    # Slices keep a copy of each slice and every output twice (kept, then joined): under a limit that
    # fits the whole run but not that, the batch runs whole and without a bar.
    x = np.random.default_rng(7).standard_normal((8, 16, 10_000)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    whole = tmp_path / "whole.npy"
    assert convrun(SEED_MODEL, str(tmp_path / "x.npy"), "-o", str(whole)).returncode == 0
    status, terminal = run_with_terminal_stderr([SEED_MODEL, str(tmp_path / "x.npy"), "-o", str(tmp_path / "y.npy")])
    assert status == 0 and "8/8" in terminal, terminal
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), np.load(whole))
    refused = convrun("profile", SEED_MODEL, "--length", "10000", "--batch", "8", "--memory-limit", "1K")
    total = int(re.search(r"need [^(]*\((\d+) bytes\)", refused.stderr).group(1))
    limit = str(total + (1 << 20))
    status, terminal = run_with_terminal_stderr(
        [SEED_MODEL, str(tmp_path / "x.npy"), "-o", str(tmp_path / "z.npy"), "--memory-limit", limit])
    assert status == 0 and "8/8" not in terminal, terminal
    np.testing.assert_array_equal(np.load(tmp_path / "z.npy"), np.load(whole))


# ---- messages -------------------------------------------------------------------------------

def test_npy_float64_float16_accepted_integers_refused_with_a_hint(tmp_path):
    x = np.load(os.path.join(SEED, "input.npy"))
    reference = convrun(SEED_MODEL, os.path.join(SEED, "input.npy"), "-o", str(tmp_path / "ref.npy"))
    assert reference.returncode == 0
    np.save(tmp_path / "x64.npy", x.astype(np.float64))
    assert convrun(SEED_MODEL, str(tmp_path / "x64.npy"), "-o", str(tmp_path / "y64.npy")).returncode == 0
    np.testing.assert_array_equal(np.load(tmp_path / "y64.npy"), np.load(tmp_path / "ref.npy"))
    np.save(tmp_path / "x16.npy", x.astype(np.float16))
    assert convrun(SEED_MODEL, str(tmp_path / "x16.npy")).returncode == 0
    np.save(tmp_path / "xi.npy", (x * 1000).astype(np.int16))
    result = convrun(SEED_MODEL, str(tmp_path / "xi.npy"))
    assert result.returncode == 1
    assert "holds integers" in result.stderr
    assert result.stderr.strip().endswith("np.save(path, x.astype(np.float32))")


def test_wrong_fact_messages(tmp_path):
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    result = convrun(SEED_MODEL, str(empty))
    assert result.returncode == 1 and "is empty (0 bytes)" in result.stderr and "0 floats" not in result.stderr
    np.save(tmp_path / "zero.npy", np.zeros((0, 16, 50), dtype=np.float32))
    result = convrun(SEED_MODEL, str(tmp_path / "zero.npy"))
    assert result.returncode == 1 and "batch size 0" in result.stderr and "expected 0" not in result.stderr
    np.save(tmp_path / "one.npy", np.zeros((1, 1, 50), dtype=np.float32))
    result = convrun(SEED_MODEL, str(tmp_path / "one.npy"))
    assert "has 1 channel (shape (1, 1, 50)), the model's input 'input' takes 16 channels" in result.stderr
    result = convrun(SEED_MODEL, str(tmp_path))
    assert result.returncode == 1 and "is a directory" in result.stderr and "errno" not in result.stderr
    for args in ([str(tmp_path), os.path.join(SEED, "input.npy")], ["validate", str(tmp_path)], ["inspect", str(tmp_path)]):
        result = convrun(*args)
        assert result.returncode == 1 and "is a directory, not a .c1d model file" in result.stderr, args


def test_inspect_says_1_channel_and_what_group_norm_groups():
    result = convrun("inspect", WAV2VEC)
    assert result.returncode == 0 and "1 channel, 16000 Hz" in result.stdout and "1 channels" not in result.stdout
    assert "512 groups over 512 channels" in result.stdout and "groups of" not in result.stdout


def test_convert_in_place_reports_old_and_new_sizes(tmp_path):
    path = tmp_path / "m.c1d"
    path.write_bytes(open(SEED_MODEL, "rb").read())
    before = path.stat().st_size
    result = convrun("convert", str(path), str(path), "--dtype", "f16")
    assert result.returncode == 0, result.stderr
    after = path.stat().st_size
    assert after != before and f"{after} bytes (was {before})" in result.stdout


def test_convert_says_which_tensors_deflate_left_as_none(tmp_path):
    out = tmp_path / "m.c1d"
    result = convrun("convert", QUARTZNET, str(out), "--codec", "deflate", "--level", "6")
    assert result.returncode == 0, result.stderr
    header = json.loads(out.read_bytes()[32:32 + struct.unpack_from("<Q", out.read_bytes(), 16)[0]])
    none = sum(t["codec"] == "none" for t in header["tensors"])
    assert 0 < none and f"{none} of {len(header['tensors'])} tensors stored as none: deflate does not shrink them" in result.stdout
    result = convrun("convert", QUARTZNET, str(out), "--codec", "none")
    assert result.returncode == 0 and "stored as none" not in result.stdout


def test_output_paths_missing_directory_empty_and_read_only(tmp_path):
    npy = os.path.join(SEED, "input.npy")
    result = convrun(SEED_MODEL, npy, "-o", str(tmp_path / "missing" / "y.npy"))
    assert result.returncode == 1 and "does not exist" in result.stderr and "create it first" in result.stderr
    result = convrun(SEED_MODEL, npy, "-o", "")
    assert result.returncode == 2 and "empty" in result.stderr and "rename" not in result.stderr
    locked = tmp_path / "locked.npy"
    locked.write_bytes(b"keep me")
    locked.chmod(0o444)
    result = convrun(SEED_MODEL, npy, "-o", str(locked))
    assert result.returncode == 1 and "read-only" in result.stderr and "--force" in result.stderr
    assert locked.read_bytes() == b"keep me"
    assert convrun(SEED_MODEL, npy, "-o", str(locked), "--force").returncode == 0
    assert np.load(locked).shape == (20, 33, 24)


def test_negative_numbers_give_the_real_reason():
    npy = os.path.join(SEED, "input.npy")
    for args in (["--threads", "-1"], ["--threads=-1"]):
        result = convrun(SEED_MODEL, npy, *args)
        assert result.returncode == 2 and "--threads must be at least 1, got -1" in result.stderr, result.stderr
    result = convrun(SEED_MODEL, npy, "--shape", "-1,16,50")
    assert result.returncode == 2 and "dimension -1 is not positive" in result.stderr
    assert "Missing value" not in result.stderr


def test_raw_input_summary_says_how_it_was_read(tmp_path):
    path = tmp_path / "x.bin"
    np.zeros((16, 1000), dtype=np.float32).tofile(path)
    result = convrun(SEED_MODEL, str(path))
    assert result.returncode == 0 and "read as (1, 16, 1000) raw float32, N = 1 assumed" in result.stdout


# ---- pipes and many files -------------------------------------------------------------------

def test_stdin_and_stdout(tmp_path):
    npy = open(os.path.join(SEED, "input.npy"), "rb").read()
    expected = np.load(os.path.join(SEED, "expected.npy"))
    raw = convrun(SEED_MODEL, "-", "-o", "-", stdin=npy)
    assert raw.returncode == 0, raw.stderr
    np.testing.assert_allclose(np.frombuffer(raw.stdout, dtype="<f4").reshape(expected.shape), expected, atol=1e-4)
    as_npy = convrun(SEED_MODEL, "-", "-o", "-", "--output-format", "npy", stdin=npy)
    path = tmp_path / "y.npy"
    path.write_bytes(as_npy.stdout)
    np.testing.assert_allclose(np.load(path), expected, atol=1e-4)
    raw_in = convrun(SEED_MODEL, "-", "--shape", "20,16,50", "-o", "-",
                     stdin=np.load(os.path.join(SEED, "input.npy")).tobytes())
    assert raw_in.stdout == raw.stdout


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_failed_write_to_stdout_is_an_error():
    # A redirect to a full disk once ended with status 0 and no output.
    with open("/dev/full", "wb") as full:
        result = subprocess.run([CONVRUN, SEED_MODEL, os.path.join(SEED, "input.npy"), "-o", "-"], stdout=full,
                                stderr=subprocess.PIPE, text=True)
    assert result.returncode == 1
    assert "cannot write the output to standard output" in result.stderr and "No space left" in result.stderr


def test_several_inputs_into_a_directory(tmp_path):
    write_wav(tmp_path / "a.wav", tone(16000), 16000)
    write_wav(tmp_path / "b.wav", tone(16000) // 2, 16000)
    np.save(tmp_path / "c.npy", np.zeros((1, 1, 16000), dtype=np.float64))
    outdir = tmp_path / "out"
    result = convrun(WAV2VEC, str(tmp_path / "a.wav"), str(tmp_path / "b.wav"), str(tmp_path / "c.npy"),
                     "-o", str(outdir) + "/")
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(outdir)) == ["a.npy", "b.npy", "c.npy"]
    assert np.load(outdir / "a.npy").shape == np.load(outdir / "c.npy").shape
    result = convrun(WAV2VEC, str(tmp_path / "a.wav"), str(tmp_path / "b.wav"), "-o", str(tmp_path / "single.npy"))
    assert result.returncode == 2 and "names a directory" in result.stderr
    # One bad file among several is reported; the others still run, and the exit status says so.
    write_wav(tmp_path / "stereo.wav", tone(16000, channels=2), 16000)
    result = convrun(WAV2VEC, str(tmp_path / "stereo.wav"), str(tmp_path / "a.wav"), "-o", str(tmp_path / "more") + "/")
    assert result.returncode == 1 and "1 of 2 inputs failed" in result.stderr
    assert os.listdir(tmp_path / "more") == ["a.npy"]


def test_timings_say_where_the_time_went(tmp_path):
    """--timings prints load, input, run and write on stderr (the load once, with the first input); --json
    carries them as load_ms (null after the first input), input_ms, milliseconds (the run) and write_ms."""
    inputs = [str(tmp_path / "a.npy"), str(tmp_path / "b.npy")]
    for path in inputs:
        np.save(path, np.load(os.path.join(SEED, "input.npy")))
    result = convrun(SEED_MODEL, *inputs, "-o", str(tmp_path / "out") + "/", "--timings", "--json")
    assert result.returncode == 0, result.stderr
    lines = [l for l in result.stderr.splitlines() if l.startswith("timings")]
    phase = r"(load|input|run|write) \d+\.\d{3} ms"
    assert len(lines) == 2 and re.fullmatch(rf"timings \(.*a\.npy\): {phase}(, {phase}){{3}}", lines[0]), lines
    assert re.fullmatch(rf"timings \(.*b\.npy\): {phase}(, {phase}){{2}}", lines[1]) and "load" not in lines[1]
    first, second = (json.loads(l) for l in result.stdout.splitlines())
    assert first["load_ms"] > 0 and second["load_ms"] is None
    for record in (first, second):
        assert record["input_ms"] >= 0 and record["milliseconds"] > 0 and record["write_ms"] >= 0
    # Without the flag, no timings on stderr.
    plain = convrun(SEED_MODEL, inputs[0], "-o", str(tmp_path / "plain.npy"))
    assert plain.returncode == 0 and "timings" not in plain.stderr


def test_damaged_weight_reported_alike_at_one_thread_and_two(tmp_path):
    """At one thread, with one input and stderr not a terminal, convrun prepares each step's weights as the run
    reaches it (KernelPreparation.perRun): a damaged weight is then found by the run, not the load, and must be
    reported in the same words, with the same exit status, as at two threads (prepared at load)."""
    data = bytearray(open(WAV2VEC, "rb").read())
    header = json.loads(data[32:32 + int.from_bytes(data[16:24], "little")])
    weight = max(header["tensors"], key=lambda t: t["stored_size"])
    data[weight["offset"] + weight["stored_size"] // 2] ^= 0x5A
    damaged = tmp_path / "damaged.c1d"
    damaged.write_bytes(bytes(data))
    np.save(tmp_path / "x.npy", np.zeros((1, 1, 16000), dtype=np.float32))
    results = [convrun(str(damaged), str(tmp_path / "x.npy"), "-o", str(tmp_path / "y.npy"), "--threads", t)
               for t in ("1", "2")]
    assert [r.returncode for r in results] == [1, 1]
    assert results[0].stderr == results[1].stderr and f"tensor '{weight['name']}'" in results[0].stderr, results[0].stderr
    assert not (tmp_path / "y.npy").exists()


def test_inspect_and_validate_json(tmp_path):
    result = convrun("inspect", SEED_MODEL, "--length", "50", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["inputs"][0]["channels"] == 16 and info["nodes"][0]["op"] == "conv1d"
    assert info["nodes"][0]["output_shape"] == [33, 24] and info["nodes"][0]["inputs"] == ["input"]
    result = convrun("validate", SEED_MODEL, "--json")
    assert result.returncode == 0 and json.loads(result.stdout) == {"model": SEED_MODEL, "valid": True, "problems": []}
    bad = tmp_path / "bad.c1d"
    bad.write_bytes(open(SEED_MODEL, "rb").read() + bytes(100))
    result = convrun("validate", str(bad), "--json")
    report = json.loads(result.stdout)
    assert result.returncode == 1 and not report["valid"] and "trailing bytes" in report["problems"][0]


def test_only_the_cli_needs_libsndfile():
    """Depending on the C1D library must need nothing new: libsndfile is the CLI's (and its tests')."""
    described = subprocess.run(["swift", "package", "dump-package"], cwd=ROOT, capture_output=True, text=True)
    if described.returncode != 0:
        pytest.skip("swift package dump-package unavailable")
    targets = {t["name"]: t for t in json.loads(described.stdout)["targets"]}

    def dependencies(name):
        return {d.get("byName", d.get("target", [None]))[0] for d in targets[name]["dependencies"]}

    assert "CSndFileLoader" not in dependencies("C1D") and "ConvRunAudio" not in dependencies("C1D")
    assert "ConvRunAudio" in dependencies("convrun")
    assert "unsafeFlags" not in described.stdout


def test_profile_tabulates_every_step():
    r = convrun("profile", SEED_MODEL, "--length", "50", "--batch", "2", "--runs", "1", "--threads", "1")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[1].split()[:3] == ["step", "op", "nodes"]
    assert lines[-1].startswith("total ") and lines[-1].endswith("over 1 step")
    # the seed's one conv: 2 samples x 24 outputs x 33 channels x (2*16*3 + 1) FLOPs
    assert "153.6K" in r.stdout
    bad = convrun("profile", SEED_MODEL, "--length", "2")
    assert bad.returncode == 1 and "at least 3 samples" in bad.stderr


# ---- memory ---------------------------------------------------------------------------------

def heap_vm_flags(pid: int) -> list[list[str]]:
    """The VmFlags of each [heap] mapping of a running process (Linux)."""
    flags, in_heap = [], False
    with open(f"/proc/{pid}/smaps") as smaps:
        for line in smaps:
            fields = line.split()
            if "-" in fields[0] and not fields[0].endswith(":"):
                in_heap = fields[-1] == "[heap]"
            elif in_heap and fields[0] == "VmFlags:":
                flags.append(fields[1:])
    return flags


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="transparent huge pages are Linux's")
def test_heap_is_advised_for_huge_pages(signal_model):
    """The CLI asks for huge pages on the heap its load and first run will use, so that they fault in 2 MiB
    at a time (`Model.keepFreedMemoryForReuse`). Seen while `convrun stream` waits for its input."""
    process = subprocess.Popen([CONVRUN, "stream", signal_model], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    try:
        deadline, flags = time.monotonic() + 20, []
        while time.monotonic() < deadline and not any("hg" in f for f in flags):
            time.sleep(0.05)
            flags = heap_vm_flags(process.pid)
        assert any("hg" in f for f in flags), f"no [heap] mapping advised for huge pages: {flags}"
    finally:
        process.stdin.close()
        process.wait(timeout=20)
