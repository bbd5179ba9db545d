#!/usr/bin/env python3
"""Writes Fixtures/: models exported from PyTorch, their inputs, and PyTorch's outputs.

Deterministic (fixed seeds, one thread) and re-runnable:  python3 tools/gen_fixtures.py
Needs torch (pip install torch==2.13.0+cpu); CI only reads what this writes.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import shutil
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import c1d  # noqa: E402
from c1d import format as c1dformat  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures")
torch.set_num_threads(1)


def save_npy(path, array):
    np.save(path, np.ascontiguousarray(array, dtype="<f4"))


def round_weights(module: nn.Module, dtype: str):
    """Rounds parameters and buffers to what `dtype` stores, so PyTorch's output is that of the file."""
    if dtype == "f32":
        return
    torch_dtype = {"f16": torch.float16, "bf16": torch.bfloat16}[dtype]
    with torch.no_grad():
        for t in itertools.chain(module.parameters(), module.buffers()):
            if t.is_floating_point():
                t.copy_(t.to(torch_dtype).to(torch.float32))


def randomize_norm_statistics(module: nn.Module, generator: torch.Generator):
    """Random batch-norm statistics and affine parameters, so the fixtures exercise them."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.BatchNorm1d):
                m.running_mean.copy_(torch.randn(m.num_features, generator=generator) * 0.1)
                m.running_var.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
            if isinstance(m, (nn.BatchNorm1d, nn.GroupNorm, nn.LayerNorm)) and getattr(m, "weight", None) is not None:
                m.weight.copy_(1 + 0.1 * torch.randn(m.weight.shape, generator=generator))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=generator))


def write_case(directory, module, x, dtype="f32", codec="deflate", **options):
    os.makedirs(directory, exist_ok=True)
    module = module.eval()
    round_weights(module, dtype)
    with torch.no_grad():
        y = module(x)
    c1d.export(module, x, os.path.join(directory, "model.c1d"), dtype=dtype, codec=codec, **options)
    save_npy(os.path.join(directory, "input.npy"), x.numpy())
    save_npy(os.path.join(directory, "expected.npy"), y.numpy())
    return tuple(y.shape)


# ------------------------------------------------------------------------------------------------
# 1. The seed's example

def seed_example():
    torch.manual_seed(0)
    m = nn.Conv1d(16, 33, 3, stride=2)
    x = torch.randn(20, 16, 50)
    shape = write_case(os.path.join(ROOT, "seed"), m, x, name="nn_conv1d seed example",
                       description="nn_conv1d(16, 33, 3, stride = 2) on torch_randn(20, 16, 50)", license="CC0-1.0")
    assert shape == (20, 33, 24), shape


# ------------------------------------------------------------------------------------------------
# 2. The conformance grid

KERNELS = [1, 2, 3, 4, 7]
STRIDES = [1, 2, 3]
PADDINGS = [0, 1, 3, "valid", "same"]
DILATIONS = [1, 2, 3]
GROUPINGS = ["1", "2", "C_in", "C_in*2"]
BIASES = [True, False]
MODES = ["zeros", "reflect", "replicate", "circular"]
BATCHED = [True, False]
CHANNELS = [3, 4, 6]
LENGTHS = [1, 2, 5, 9, 16, 33]


def grid_case(kernel, stride, padding, dilation, grouping, bias, mode, batched, c_in, length):
    groups = {"1": 1, "2": 2, "C_in": c_in, "C_in*2": c_in}[grouping]
    c_out = {"1": 5, "2": 4, "C_in": c_in, "C_in*2": 2 * c_in}[grouping]
    return dict(kernel_size=kernel, stride=stride, padding=padding, dilation=dilation, groups=groups,
                bias=bias, padding_mode=mode, batched=batched, in_channels=c_in, out_channels=c_out, length=length,
                grouping=grouping)


def conformance(sample_size=700, seed=1234):
    """Samples the grid (every value of every axis covered many times); runs each case in PyTorch.

    Legal cases keep the model, input and output; illegal ones keep PyTorch's error message.
    """
    rng = random.Random(seed)
    axes = [KERNELS, STRIDES, PADDINGS, DILATIONS, GROUPINGS, BIASES, MODES, BATCHED]
    combos = list(itertools.product(*axes))
    rng.shuffle(combos)
    # Every pair of values of the first two axes at least once, then random combinations.
    chosen = combos[:sample_size]
    directory = os.path.join(ROOT, "conformance")
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    data = bytearray()
    cases = []
    generator = torch.Generator().manual_seed(seed)
    for index, combo in enumerate(chosen):
        c_in = rng.choice(CHANNELS)
        length = rng.choice(LENGTHS)
        case = grid_case(*combo, c_in=c_in, length=length)
        name = f"case{index:04d}"
        entry = {"name": name, **{k: v for k, v in case.items() if k != "grouping"}}
        try:
            torch.manual_seed(index)
            m = nn.Conv1d(case["in_channels"], case["out_channels"], case["kernel_size"], stride=case["stride"],
                          padding=case["padding"], dilation=case["dilation"], groups=case["groups"],
                          bias=case["bias"], padding_mode=case["padding_mode"])
        except (ValueError, RuntimeError) as error:
            entry["error"] = str(error)
            entry["stage"] = "construct"
            cases.append(entry)
            continue
        shape = (2, c_in, length) if case["batched"] else (c_in, length)
        x = torch.randn(shape, generator=generator)
        try:
            with torch.no_grad():
                y = m(x)
        except (ValueError, RuntimeError) as error:
            entry["error"] = str(error).split("\n")[0]
            entry["stage"] = "run"
            cases.append(entry)
            continue
        c1d.export(m, x, os.path.join(directory, f"{name}.c1d"))
        entry["input_shape"] = list(x.shape)
        entry["input_offset"] = len(data)
        data += x.numpy().astype("<f4").tobytes()
        entry["output_shape"] = list(y.shape)
        entry["output_offset"] = len(data)
        data += y.numpy().astype("<f4").tobytes()
        cases.append(entry)
    with open(os.path.join(directory, "data.bin"), "wb") as f:
        f.write(data)
    with open(os.path.join(directory, "cases.json"), "w") as f:
        json.dump({"cases": cases}, f, indent=1)
    legal = sum("error" not in c for c in cases)
    print(f"conformance: {legal} legal, {len(cases) - legal} illegal cases")


# ------------------------------------------------------------------------------------------------
# 3. Real architectures, from their published layer tables, with random weights

class Wav2Vec2FeatureEncoder(nn.Module):
    """wav2vec 2.0 base: 7 convs of 512, kernels 10,3,3,3,3,2,2, strides 5,2,2,2,2,2,2, no bias,
    GroupNorm(512, 512) after the first, GELU after each."""

    def __init__(self):
        super().__init__()
        kernels, strides = [10, 3, 3, 3, 3, 2, 2], [5, 2, 2, 2, 2, 2, 2]
        layers = []
        for i, (k, s) in enumerate(zip(kernels, strides)):
            layers.append(nn.Conv1d(1 if i == 0 else 512, 512, k, stride=s, bias=False))
            if i == 0:
                layers.append(nn.GroupNorm(512, 512))
            layers.append(nn.GELU())
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


class WhisperFront(nn.Module):
    """Whisper tiny encoder front: Conv1d(80, 384, 3, padding=1), GELU, Conv1d(384, 384, 3, stride=2, padding=1), GELU."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(80, 384, 3, padding=1)
        self.conv2 = nn.Conv1d(384, 384, 3, stride=2, padding=1)

    def forward(self, x):
        return F.gelu(self.conv2(F.gelu(self.conv1(x))))


class TemporalBlock(nn.Module):
    """Bai et al. 2018: two causal dilated convs (pad both sides, chomp the right), ReLU, residual."""

    def __init__(self, c_in, c_out, k, dilation):
        super().__init__()
        pad = (k - 1) * dilation
        self.chomp = pad
        self.conv1 = nn.Conv1d(c_in, c_out, k, padding=pad, dilation=dilation)
        self.conv2 = nn.Conv1d(c_out, c_out, k, padding=pad, dilation=dilation)
        self.downsample = nn.Conv1d(c_in, c_out, 1) if c_in != c_out else None

    def forward(self, x):
        h = torch.relu(self.conv1(x)[:, :, :-self.chomp])
        h = torch.relu(self.conv2(h)[:, :, :-self.chomp])
        res = x if self.downsample is None else self.downsample(x)
        return torch.relu(h + res)


class TCN(nn.Module):
    def __init__(self, c_in=1, channels=25, levels=8, k=7, classes=10):
        super().__init__()
        blocks = [TemporalBlock(c_in if i == 0 else channels, channels, k, 2 ** i) for i in range(levels)]
        self.blocks = nn.Sequential(*blocks)

    def forward(self, x):
        return self.blocks(x)


class WaveNet(nn.Module):
    """van den Oord et al. 2016: causal k2 dilated convs 1..256 twice, gated tanh·sigmoid, residual and
    skip 1×1 convs, skips summed, ReLU-1×1-ReLU-1×1 head."""

    def __init__(self, c_in=1, residual=32, skip=32, classes=256, dilations=tuple(2 ** i for i in range(9)) * 2):
        super().__init__()
        self.dilations = dilations
        self.start = nn.Conv1d(c_in, residual, 1)
        self.filters = nn.ModuleList(nn.Conv1d(residual, residual, 2, dilation=d) for d in dilations)
        self.gates = nn.ModuleList(nn.Conv1d(residual, residual, 2, dilation=d) for d in dilations)
        self.residuals = nn.ModuleList(nn.Conv1d(residual, residual, 1) for _ in dilations)
        self.skips = nn.ModuleList(nn.Conv1d(residual, skip, 1) for _ in dilations)
        self.head1 = nn.Conv1d(skip, skip, 1)
        self.head2 = nn.Conv1d(skip, classes, 1)

    def forward(self, x):
        x = self.start(x)
        skips = []
        for d, f, g, r, s in zip(self.dilations, self.filters, self.gates, self.residuals, self.skips):
            padded = F.pad(x, (d, 0))
            z = torch.tanh(f(padded)) * torch.sigmoid(g(padded))
            skips.append(s(z))
            x = x + r(z)
        total = skips[0]
        for s in skips[1:]:
            total = total + s
        return self.head2(torch.relu(self.head1(torch.relu(total))))


class QuartzNetBlock(nn.Module):
    """Kriman et al. 2020, block B1 of QuartzNet 5x5: R=5 time-channel separable convs (depthwise k33 +
    pointwise), BatchNorm, ReLU; residual (pointwise + BN) added before the last ReLU."""

    def __init__(self, channels=256, k=33, repeats=5):
        super().__init__()
        self.subs = nn.ModuleList()
        for _ in range(repeats):
            self.subs.append(nn.ModuleList([
                nn.Conv1d(channels, channels, k, padding=k // 2, groups=channels, bias=False),
                nn.Conv1d(channels, channels, 1, bias=False),
                nn.BatchNorm1d(channels)]))
        self.residual = nn.Conv1d(channels, channels, 1, bias=False)
        self.residual_bn = nn.BatchNorm1d(channels)

    def forward(self, x):
        h = x
        for i, (dw, pw, bn) in enumerate(self.subs):
            h = bn(pw(dw(h)))
            if i < len(self.subs) - 1:
                h = torch.relu(h)
        return torch.relu(h + self.residual_bn(self.residual(x)))


class ConvTasNetBlock(nn.Module):
    """Luo & Mesgarani 2019: 1×1 (B→H), PReLU, gLN (GroupNorm(1, H)), depthwise dilated k3, PReLU, gLN,
    then 1×1 residual (H→B) and 1×1 skip (H→Sc)."""

    def __init__(self, b=128, h=512, sc=128, dilation=1):
        super().__init__()
        self.conv_in = nn.Conv1d(b, h, 1)
        self.prelu1 = nn.PReLU()
        self.norm1 = nn.GroupNorm(1, h, eps=1e-8)
        self.depthwise = nn.Conv1d(h, h, 3, padding=dilation, dilation=dilation, groups=h)
        self.prelu2 = nn.PReLU()
        self.norm2 = nn.GroupNorm(1, h, eps=1e-8)
        self.res = nn.Conv1d(h, b, 1)
        self.skip = nn.Conv1d(h, sc, 1)

    def forward(self, x):
        y = self.norm1(self.prelu1(self.conv_in(x)))
        y = self.norm2(self.prelu2(self.depthwise(y)))
        return x + self.res(y), self.skip(y)


class ConvTasNetStack(nn.Module):
    def __init__(self, blocks=8):
        super().__init__()
        self.blocks = nn.ModuleList(ConvTasNetBlock(dilation=2 ** i) for i in range(blocks))

    def forward(self, x):
        skips = []
        for block in self.blocks:
            x, s = block(x)
            skips.append(s)
        total = skips[0]
        for s in skips[1:]:
            total = total + s
        return total


class ECGResBlock(nn.Module):
    """Hannun et al. 2019 style: BN-ReLU-conv(k16)-BN-ReLU-conv(k16); subsampling blocks stride 2 with a
    max-pool shortcut."""

    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm1d(c_in)
        self.conv1 = nn.Conv1d(c_in, c_out, 16, stride=stride, padding=7 if stride == 2 else "same", bias=False)
        self.bn2 = nn.BatchNorm1d(c_out)
        self.conv2 = nn.Conv1d(c_out, c_out, 16, padding="same", bias=False)
        self.pool = nn.MaxPool1d(stride, stride, ceil_mode=True) if stride > 1 else None
        self.project = nn.Conv1d(c_in, c_out, 1, bias=False) if c_in != c_out else None

    def forward(self, x):
        h = self.conv1(torch.relu(self.bn1(x)))
        h = self.conv2(torch.relu(self.bn2(h)))
        shortcut = x if self.pool is None else self.pool(x)
        if self.project is not None:
            shortcut = self.project(shortcut)
        return h + shortcut


class ECGResNet(nn.Module):
    def __init__(self, leads=12, classes=5):
        super().__init__()
        self.stem = nn.Conv1d(leads, 32, 16, padding="same", bias=False)
        self.stem_bn = nn.BatchNorm1d(32)
        blocks, c = [], 32
        for i in range(8):
            c_out = 32 * 2 ** (i // 4)
            blocks.append(ECGResBlock(c, c_out, 2 if i % 2 == 1 else 1))
            c = c_out
        self.blocks = nn.Sequential(*blocks)
        self.final_bn = nn.BatchNorm1d(c)
        self.pool = nn.AdaptiveAvgPool1d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        x = torch.relu(self.stem_bn(self.stem(x)))
        x = torch.relu(self.final_bn(self.blocks(x)))
        return self.fc(self.flatten(self.pool(x)))


ARCHITECTURES = {
    # name: (constructor, input shape, dtype, codec, description)
    "wav2vec2_feature_encoder": (Wav2Vec2FeatureEncoder, (1, 1, 16000), "f16", "shuffle-deflate",
                                 "wav2vec 2.0 feature encoder on 1 s of 16 kHz audio"),
    "whisper_front": (WhisperFront, (1, 80, 3000), "f16", "shuffle-deflate",
                      "Whisper tiny encoder convolutions on 3000 log-mel frames"),
    "tcn": (TCN, (2, 1, 784), "f32", "deflate", "TCN, 8 levels x 25 channels, k 7, on sequential MNIST length"),
    "wavenet": (WaveNet, (1, 1, 1024), "f32", "shuffle-deflate", "WaveNet stack, dilations 1..256 twice"),
    "quartznet_block": (QuartzNetBlock, (1, 256, 400), "f32", "deflate", "QuartzNet B1 block (k 33, R 5)"),
    "conv_tasnet": (ConvTasNetStack, (1, 128, 1000), "bf16", "shuffle-deflate", "Conv-TasNet separation blocks x 8"),
    "ecg_resnet": (ECGResNet, (2, 12, 2048), "f32", "deflate", "1-D ECG ResNet, k 16, 8 blocks"),
}


class OpsActivations(nn.Module):
    """Every activation, and PReLU with one slope per channel."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(6, 6, 3, padding=1)
        self.prelu = nn.PReLU(6)

    def forward(self, x):
        x = self.conv(x)
        a = F.leaky_relu(x, 0.2) + F.elu(x, 0.7)
        b = F.silu(x) * torch.sigmoid(x)
        c = F.gelu(x, approximate="tanh") + torch.tanh(x)
        return self.prelu(a + b + c) + F.gelu(x) + torch.relu(x)


class OpsPadSlice(nn.Module):
    """F.pad in every mode (asymmetric, constant value), slices in the middle, concat, mul."""

    def forward(self, x):
        a = F.pad(x, (3, 1), mode="reflect")
        b = F.pad(x, (2, 2), mode="replicate")
        c = F.pad(x, (0, 4), mode="circular")
        d = F.pad(x, (1, 3), mode="constant", value=0.5)
        e = torch.cat([a, b, c, d], dim=1)
        return e[:, :, 1:-2] * e[:, :, 2:-1]


class OpsNormsPools(nn.Module):
    """LayerNorm over channels (transpose pattern), standalone BatchNorm, GroupNorm, pools with every
    option, global average pool by .mean, linear."""

    def __init__(self):
        super().__init__()
        self.norm = nn.LayerNorm(8)
        self.bn = nn.BatchNorm1d(8)
        self.gn = nn.GroupNorm(2, 8, eps=1e-3)
        self.max = nn.MaxPool1d(3, stride=2, padding=1, dilation=2, ceil_mode=True)
        self.avg1 = nn.AvgPool1d(4, stride=3, padding=2, ceil_mode=True, count_include_pad=False)
        self.avg2 = nn.AvgPool1d(3, stride=1, padding=1, count_include_pad=True)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        x = self.norm(x.transpose(1, 2)).transpose(1, 2)
        x = self.gn(self.bn(x))
        x = self.avg2(self.avg1(self.max(x)))
        return self.fc(x.mean(-1))


class OpsGated(nn.Module):
    """Gated units the planner runs as one conv: tanh·sigmoid and a GLU-style a·sigmoid(b), with output
    counts that are not a multiple of the micro-kernel's rows, zero and reflect padding, over several
    tiles; and one pair the planner must leave alone (different kernel sizes)."""

    def __init__(self):
        super().__init__()
        self.filter = nn.Conv1d(5, 13, 3, padding=1)
        self.gate = nn.Conv1d(5, 13, 3, padding=1)
        self.value = nn.Conv1d(13, 6, 4, stride=2, padding=3, padding_mode="reflect")
        self.glu_gate = nn.Conv1d(13, 6, 4, stride=2, padding=3, padding_mode="reflect")
        self.unlike_a = nn.Conv1d(6, 4, 3, padding=1)
        self.unlike_b = nn.Conv1d(6, 4, 5, padding=2)

    def forward(self, x):
        z = torch.tanh(self.filter(x)) * torch.sigmoid(self.gate(x))
        g = self.value(z) * torch.sigmoid(self.glu_gate(z))
        return torch.tanh(self.unlike_a(g)) * torch.sigmoid(self.unlike_b(g))


OPS = {
    "activations": (OpsActivations, (2, 6, 37)),
    "pad_slice_concat": (OpsPadSlice, (2, 3, 11)),
    "norms_pools_linear": (OpsNormsPools, (3, 8, 45)),
    "unbatched_conv": (lambda: nn.Conv1d(4, 6, 5, stride=2, padding=3, dilation=2, padding_mode="circular"), (4, 23)),
    "gated": (OpsGated, (2, 5, 700)),
    # Kernel 3, stride 2 convs, which run by output pairs: every padding mode, odd and even output
    # lengths, a partial micro-kernel panel, more than one tile of pairs, a fused activation; every
    # output at least 64 long (shorter ones of small convs run direct).
    "stride2_pairs": (lambda: nn.Sequential(
        nn.Conv1d(8, 16, 3, stride=2, padding=1, padding_mode="reflect"), nn.GELU(),
        nn.Conv1d(16, 24, 3, stride=2, padding=2, padding_mode="circular"),
        nn.Conv1d(24, 17, 3, stride=2),
        nn.Conv1d(17, 16, 3, stride=2, padding=1, padding_mode="replicate")), (3, 8, 1201)),
    # Kernel-3 stride-1 convs by output pairs (Winograd F(2, 3)): every padding mode, causal padding folded
    # in, odd and even output lengths, a partial tile of pairs, no bias, fused activations.
    "stride1_pairs": (lambda: nn.Sequential(
        nn.Conv1d(8, 16, 3, padding=1, padding_mode="reflect"), nn.ReLU(),
        nn.Conv1d(16, 24, 3, padding="same", padding_mode="circular"),
        nn.ConstantPad1d((2, 0), 0.0), nn.Conv1d(24, 20, 3),
        nn.Conv1d(20, 17, 3, bias=False),
        nn.Conv1d(17, 16, 3, padding=2, padding_mode="replicate"), nn.GELU()), (3, 8, 333)),
    # A last tile of pairs that lies wholly past the interior (large padding, 64k + 1 pairs): stride 2
    # (252 -> 129: 65 pairs, interior ends at 63) and stride 1 (125 -> 129, likewise).
    "pairs_edge_tiles": (lambda: nn.Sequential(
        nn.Conv1d(8, 16, 3, stride=2, padding=4), nn.Conv1d(16, 16, 3), nn.Conv1d(16, 16, 3),
        nn.Conv1d(16, 16, 3, padding=3, padding_mode="reflect")), (2, 8, 252)),
}


def ops():
    for index, (name, (constructor, shape)) in enumerate(OPS.items()):
        torch.manual_seed(300 + index)
        generator = torch.Generator().manual_seed(400 + index)
        module = constructor()
        randomize_norm_statistics(module, generator)
        x = torch.randn(shape, generator=generator)
        out = write_case(os.path.join(ROOT, "ops", name), module, x, name=name, license="CC0-1.0")
        print(f"ops/{name}: {tuple(shape)} -> {out}")


def architectures():
    for index, (name, (constructor, shape, dtype, codec, description)) in enumerate(ARCHITECTURES.items()):
        torch.manual_seed(100 + index)
        generator = torch.Generator().manual_seed(200 + index)
        module = constructor()
        randomize_norm_statistics(module, generator)
        x = torch.randn(shape, generator=generator)
        out = write_case(os.path.join(ROOT, "architectures", name), module, x, dtype=dtype, codec=codec,
                         name=name, description=description, license="CC0-1.0",
                         sample_rate=16000.0 if "wav2vec" in name else None)
        print(f"{name}: {tuple(shape)} -> {out}")


if __name__ == "__main__":
    only = set(sys.argv[1:])
    if not only or "seed" in only:
        seed_example()
    if not only or "conformance" in only:
        conformance()
    if not only or "architectures" in only:
        architectures()
    if not only or "ops" in only:
        ops()
