"""Hand-written modules that probe the exporter: the silently-wrong patterns of issue 13 and the
Python patterns real models use in forward() that a capture must get through."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


# -- the three silently-wrong patterns ----------------------------------------------------------

class InplaceReluSkip(nn.Module):
    """ReLU(inplace=True) overwrites the tensor that the skip connection also reads: out = 2 relu(conv)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(3, 6, 3, padding=1)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        y = self.conv(x)
        z = self.relu(y)
        return z + y


def stale_weight_norm():
    """Old-style weight_norm whose cached `.weight` is stale after load_state_dict."""
    torch.manual_seed(1)
    source = nn.utils.weight_norm(nn.Conv1d(3, 5, 3))
    with torch.no_grad():
        source.weight_g.mul_(3.0)
    target = nn.utils.weight_norm(nn.Conv1d(3, 5, 3))
    target.load_state_dict(source.state_dict())
    return nn.Sequential(target)


class PaddingConv(nn.Conv1d):
    """A Conv1d subclass that pads causally in its own forward (as WaveNet/TCN code does)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.causal = (self.kernel_size[0] - 1) * self.dilation[0]

    def forward(self, x):
        return super().forward(F.pad(x, (self.causal, 0)))


def weight_normed_padding_conv():
    return nn.Sequential(nn.utils.weight_norm(PaddingConv(3, 4, 3, dilation=2)), nn.Tanh())


# -- capture patterns ---------------------------------------------------------------------------

class ControlFlow(nn.Module):
    """`if x.ndim`, assert, len(x.shape) and x.size(0) on static shapes."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 4, 3)

    def forward(self, x):
        if x.ndim != 3:
            x = x.unsqueeze(0)
        assert len(x.shape) == 3, "expects (N, C, L)"
        batch = x.size(0)
        y = self.conv(x)
        return y.view(batch, -1)


class ChunkLoop(nn.Module):
    """A loop over torch.chunk whose pieces are summed: split + add chain."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 8, 1)

    def forward(self, x):
        total = 0
        for piece in torch.chunk(self.conv(x), 4, dim=1):
            total = total + torch.sigmoid(piece)
        return total


class ViewHead(nn.Module):
    """`x.view(x.size(0), -1)` after global pooling, then a Linear."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 6, 3)
        self.pool = nn.AdaptiveAvgPool1d(1)
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        return self.fc(self.pool(torch.relu(self.conv(x))).view(x.size(0), -1))


class SqueezeHead(nn.Module):
    """`.squeeze(-1)` after a pool, then a Linear: features."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 6, 3)
        self.fc = nn.Linear(6, 2)

    def forward(self, x):
        y = self.conv(x)
        return self.fc(F.avg_pool1d(y, y.size(-1)).squeeze(-1))


class FlattenHead(nn.Module):
    """A (C, L) -> C·L flatten into a Linear (fixed length)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 3, 3, stride=2)
        self.fc = nn.Linear(3 * 7, 4)

    def forward(self, x):
        return self.fc(torch.flatten(self.conv(x), 1))


class ShapePad(nn.Module):
    """F.pad with shape arithmetic: pad to a multiple of the stride, then a strided conv."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 4, 4, stride=4)

    def forward(self, x):
        extra = (-x.shape[-1]) % 4
        return self.conv(F.pad(x, (0, extra)))


class SubclassedConv(nn.Conv1d):
    def forward(self, x):
        return F.leaky_relu(super().forward(x), 0.2)


class ChannelsLastBlock(nn.Module):
    """LayerNorm and Linear applied channels-last, as in Conformer/ConvNeXt blocks."""

    def __init__(self):
        super().__init__()
        self.dw = nn.Conv1d(4, 4, 7, padding=3, groups=4)
        self.norm = nn.LayerNorm(4)
        self.up = nn.Linear(4, 8)
        self.down = nn.Linear(8, 4)
        self.gamma = nn.Parameter(torch.full((4,), 0.5))

    def forward(self, x):
        y = self.dw(x).permute(0, 2, 1)
        y = self.down(F.gelu(self.up(self.norm(y))))
        y = self.gamma * y
        return x + y.permute(0, 2, 1)


class SqueezeExcite(nn.Module):
    """Mean over time, two pointwise layers, sigmoid gate broadcast over time; a scalar scale."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(3, 8, 3, padding=1)
        self.fc1 = nn.Linear(8, 2)
        self.fc2 = nn.Linear(2, 8)

    def forward(self, x):
        y = self.conv(x)
        s = torch.sigmoid(self.fc2(torch.relu(self.fc1(y.mean(dim=-1)))))
        return 0.5 * y * s.unsqueeze(-1)


class Snake(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.alpha = nn.Parameter(torch.rand(1, channels, 1) + 0.5)

    def forward(self, x):
        return x + (self.alpha + 1e-9).reciprocal() * torch.sin(self.alpha * x).pow(2)


class StackSum(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv1d(2, 4, 3, padding=1)
        self.b = nn.Conv1d(2, 4, 5, padding=2)

    def forward(self, x):
        return torch.stack([self.a(x), self.b(x)], dim=0).sum(dim=0)


class ChannelScale(nn.Module):
    """`x * param(1, C, 1)`: a constant (C, 1)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 4, 3)
        self.scale = nn.Parameter(torch.rand(1, 4, 1) + 0.5)

    def forward(self, x):
        return self.conv(x) * self.scale


# -- what must be refused -----------------------------------------------------------------------

class WithLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 3, 3)
        self.rnn = nn.LSTM(3, 3, batch_first=True)

    def forward(self, x):
        y, _ = self.rnn(self.conv(x).transpose(1, 2))
        return y.transpose(1, 2)


class WithAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 4, 3)
        self.attn = nn.MultiheadAttention(4, 2, batch_first=True)

    def forward(self, x):
        y = self.conv(x).transpose(1, 2)
        y, _ = self.attn(y, y, y)
        return y.transpose(1, 2)


class WithCumsum(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 3, 3)

    def forward(self, x):
        return torch.cumsum(self.conv(x), dim=-1)


class GlobalLayerNorm(nn.Module):
    """Conv-TasNet's gLN as asteroid writes it: mean and biased var over channels and time, gamma/beta."""

    def __init__(self, channels):
        super().__init__()
        self.gamma = nn.Parameter(torch.rand(1, channels, 1) + 0.5)
        self.beta = nn.Parameter(torch.randn(1, channels, 1) * 0.1)

    def forward(self, x):
        mean = x.mean(dim=[1, 2], keepdim=True)
        var = torch.var(x, dim=[1, 2], keepdim=True, unbiased=False)
        return self.gamma * ((x - mean) / torch.sqrt(var + 1e-8)) + self.beta


class ChannelLayerNorm(nn.Module):
    """cLN as speechbrain writes it, on channels-last input: (y - mean) / pow(var + eps, 0.5) over C."""

    def __init__(self, channels):
        super().__init__()
        self.gamma = nn.Parameter(torch.rand(1, 1, channels) + 0.5)
        self.beta = nn.Parameter(torch.randn(1, 1, channels) * 0.1)

    def forward(self, y):
        y = y.transpose(1, 2)
        mean = torch.mean(y, dim=2, keepdim=True)
        var = torch.var(y, dim=2, keepdim=True, unbiased=False)
        return (self.gamma * (y - mean) / torch.pow(var + 1e-8, 0.5) + self.beta).transpose(1, 2)


class TimeNorm(nn.Module):
    """Per-channel standardisation over time (an instance norm written out), unbiased=False."""

    def forward(self, x):
        mean = x.mean(-1, keepdim=True)
        return (x - mean) * torch.rsqrt(x.var(-1, keepdim=True, unbiased=False) + 1e-5)


class HalfCrop(nn.Module):
    """Keeps the first half: the stop is computed from the shape, so the graph holds at one length only."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 3, 3, padding=1)

    def forward(self, x):
        return self.conv(x)[:, :, : x.size(-1) // 2]
