"""Make PyTorch eager inference on the CPU fast: no page faults, and a faster temporal convolution.

Two things slow PyTorch eager down on a CPU with these networks, both measured on the F=64 networks at
32×256×256 (2 cores, AVX-512):

* **Page faults.** Every layer makes a new activation of ~0.5 GB, and glibc gives such blocks back to the system
  on free: ~7 million page faults per STResNet forward pass, which made it 2× slower and erratic.
  ``ctdenoise.cpu_memory.keep_freed_memory`` (called by ``TorchPredictor``) removes them.
* **The temporal 3×1×1 conv.** In channels-last 3D layout its three taps lie whole z-slices (Y·X·C values) apart,
  and oneDNN reaches less than half the speed it reaches on the spatial 1×3×3 conv. Laid out as a batch of Y
  images of size Z×X, the same conv is a 2D conv with a (3, 1) kernel on small images: 0.11 s instead of 0.20 s
  per layer, 0.16 s with the two layout changes around it. ``YBatchedTemporalConv`` does that.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class YBatchedTemporalConv(nn.Module):
    """A temporal (3×1×1) ``nn.Conv3d`` run as a 2D (3, 1) conv over a batch of Y images of size Z×X.

    Same function as the wrapped conv (exactly: the same multiplies and adds), input and output in
    channels-last 3D layout. Runs ``rows_per_chunk`` rows of Y at a time, so it needs no full-size temporary.
    Only for inference in PyTorch eager; exports keep the plain conv.
    """

    @staticmethod
    def accepts(conv: nn.Module) -> bool:
        """True for a plain stride-1 ``(k, 1, 1)`` Conv3d, the only kind this can run."""
        return (
            isinstance(conv, nn.Conv3d)
            and conv.kernel_size[1:] == (1, 1)
            and conv.stride == (1, 1, 1)
            and conv.groups == 1
            and conv.dilation[0] == 1
        )

    def __init__(self, conv: nn.Conv3d, rows_per_chunk: int = 32) -> None:
        super().__init__()
        if not self.accepts(conv):
            raise ValueError(f"YBatchedTemporalConv needs a plain stride-1 (k, 1, 1) Conv3d, got {conv}")
        self.weight = nn.Parameter(conv.weight.detach().clone(), requires_grad=False)  # 5D, like the conv's
        self.bias = None if conv.bias is None else nn.Parameter(conv.bias.detach().clone(), requires_grad=False)
        self.padding = (conv.padding[0], 0)
        self.rows_per_chunk = rows_per_chunk

    def forward(self, x: Tensor) -> Tensor:
        batch, channels, z, y, x_size = x.shape
        out = None
        for y_start in range(0, y, self.rows_per_chunk):  # chunks of rows bound the extra memory to a few MB
            y_stop = min(y, y_start + self.rows_per_chunk)
            rows = y_stop - y_start
            images = x[:, :, :, y_start:y_stop].permute(0, 3, 2, 4, 1).contiguous()
            images = images.view(batch * rows, z, x_size, channels).permute(0, 3, 1, 2)
            result = F.conv2d(images, self.weight[..., 0], self.bias, padding=self.padding)
            if out is None:
                out_shape = (batch, result.shape[1], result.shape[2], y, x_size)
                out = torch.empty(
                    out_shape, dtype=result.dtype, device=result.device, memory_format=torch.channels_last_3d
                )
            result = result.permute(0, 2, 3, 1).view(batch, rows, result.shape[2], x_size, -1)
            out[:, :, :, y_start:y_stop] = result.permute(0, 4, 2, 1, 3)
        return out


def with_fast_temporal_convs(network: nn.Module) -> nn.Module:
    """A copy of ``network`` whose temporal 3×1×1 convs with F ≥ 16 in and out are ``YBatchedTemporalConv``.

    Narrow convs (the tail's F→1, tiny test networks) stay as they are: the layout changes would cost more than
    they save.
    """
    network = copy.deepcopy(network)
    for parent in list(network.modules()):
        for name, child in list(parent.named_children()):
            if (
                YBatchedTemporalConv.accepts(child)
                and child.kernel_size[0] > 1
                and min(child.in_channels, child.out_channels) >= 16
            ):
                setattr(parent, name, YBatchedTemporalConv(child))
    return network
