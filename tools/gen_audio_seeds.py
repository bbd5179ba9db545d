"""Writes Fixtures/audio/: tiny audio files of every container convrun reads (the audio fuzz target's
seeds and the audio replay test's inputs), through libsndfile itself via ctypes (numpy only)."""

import ctypes
import ctypes.util
import os

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
OUT = os.path.join(ROOT, "Fixtures", "audio")


class SFInfo(ctypes.Structure):
    _fields_ = [("frames", ctypes.c_int64), ("samplerate", ctypes.c_int), ("channels", ctypes.c_int),
                ("format", ctypes.c_int), ("sections", ctypes.c_int), ("seekable", ctypes.c_int)]


FORMATS = {  # name: (SF_FORMAT container | encoding, channels, rate)
    "pcm16_mono.wav": (0x010000 | 0x0002, 1, 16000),
    "pcm24_stereo.wav": (0x010000 | 0x0003, 2, 8000),
    "float_stereo.wav": (0x010000 | 0x0006, 2, 8000),
    "pcm16_mono.flac": (0x170000 | 0x0002, 1, 16000),
    "vorbis_mono.ogg": (0x200000 | 0x0060, 1, 16000),
    "mp3_mono.mp3": (0x230000 | 0x0082, 1, 16000),
    "pcm16_mono.aiff": (0x020000 | 0x0002, 1, 16000),
}


def main():
    sndfile = ctypes.CDLL(ctypes.util.find_library("sndfile"))
    sndfile.sf_open.restype = ctypes.c_void_p
    sndfile.sf_writef_float.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
    sndfile.sf_close.argtypes = [ctypes.c_void_p]
    os.makedirs(OUT, exist_ok=True)
    for name, (fmt, channels, rate) in FORMATS.items():
        frames = 1152 * 2
        t = np.arange(frames) / rate
        data = np.stack([0.5 * np.sin(2 * np.pi * 440 * (c + 1) * t) for c in range(channels)], axis=1)
        data = np.ascontiguousarray(data, dtype=np.float32)
        info = SFInfo(0, rate, channels, fmt, 0, 0)
        handle = sndfile.sf_open(os.path.join(OUT, name).encode(), 0x20, ctypes.byref(info))
        if not handle:
            print(f"skipped {name}: this libsndfile cannot write it")
            continue
        sndfile.sf_writef_float(handle, data.ctypes.data, frames)
        sndfile.sf_close(handle)
        print(f"wrote {name}: {os.path.getsize(os.path.join(OUT, name))} bytes")


if __name__ == "__main__":
    main()
