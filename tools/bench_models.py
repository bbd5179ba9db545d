"""Benchmark-only models, in an importable module so that the PyTorch worker can unpickle them."""

import torch.nn as nn


class DepthwiseSeparableBlock(nn.Module):
    def __init__(self, channels, kernel=15):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(channels, channels, kernel, padding=kernel // 2, groups=channels), nn.BatchNorm1d(channels),
            nn.ReLU(), nn.Conv1d(channels, channels, 1), nn.BatchNorm1d(channels))
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(x + self.body(x))


def dense_depthwise_net():
    """A stand-in for issue 16's dense + depthwise net on (4, 64, 8000): a dense k3 stem, four residual
    depthwise-separable blocks (depthwise k15, pointwise), a dense k3 head, with batch norms and ReLUs."""
    return nn.Sequential(nn.Conv1d(64, 128, 3, padding=1), nn.BatchNorm1d(128), nn.ReLU(),
                         *[DepthwiseSeparableBlock(128) for _ in range(4)], nn.Conv1d(128, 64, 3, padding=1))
