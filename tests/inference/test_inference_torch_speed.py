"""The PyTorch eager speed-ups change nothing but speed: same outputs, and freed memory really is kept."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

import numpy as np
import pytest
import torch
from torch import nn

from ctdenoise.cpu_memory import keep_freed_memory
from ctdenoise.inference.runtimes import TorchPredictor
from ctdenoise.inference.torch_speed import YBatchedTemporalConv, with_fast_temporal_convs
from ctdenoise.models import STResNet
from ctdenoise.models.phase_form import inference_form


@pytest.mark.parametrize("padding", [1, 0])
def test_y_batched_temporal_conv_equals_conv3d(padding):
    torch.manual_seed(0)
    conv = nn.Conv3d(16, 8, kernel_size=(3, 1, 1), padding=(padding, 0, 0))
    x = torch.randn(2, 16, 6, 5, 7).contiguous(memory_format=torch.channels_last_3d)
    with torch.no_grad():
        expected, actual = conv(x), YBatchedTemporalConv(conv)(x)
    assert actual.shape == expected.shape
    assert actual.is_contiguous(memory_format=torch.channels_last_3d)
    assert torch.allclose(actual, expected, atol=1e-5)


def test_y_batched_temporal_conv_refuses_spatial_convs():
    with pytest.raises(ValueError, match="k, 1, 1"):
        YBatchedTemporalConv(nn.Conv3d(4, 4, kernel_size=(1, 3, 3)))


def test_only_wide_temporal_convs_are_replaced_and_the_original_is_untouched():
    network = STResNet(features=16, blocks=1, z_scale=2).eval()
    fast = with_fast_temporal_convs(network)
    replaced = [name for name, module in fast.named_modules() if isinstance(module, YBatchedTemporalConv)]
    assert "body.0.conv1.temporal" in replaced and "upsample_conv.temporal" in replaced
    assert "tail.temporal" not in replaced  # F→1: not worth two layout changes
    assert not any(isinstance(module, YBatchedTemporalConv) for module in network.modules())


def test_torch_predictor_equals_the_trained_network_in_training_form():
    """The predictor runs the phase form with Y-batched temporal convs; the reference is the plain module."""
    torch.manual_seed(1)
    network = STResNet(features=16, blocks=1, z_scale=2)
    for parameter in network.parameters():
        nn.init.normal_(parameter, std=0.05)
    network.eval()
    tile = np.random.default_rng(0).normal(size=(1, 1, 5, 12, 10)).astype(np.float32)
    with torch.no_grad():
        expected = network(torch.from_numpy(tile)).numpy()
    actual = TorchPredictor(inference_form(network), "fp32")(tile)
    assert np.abs(actual - expected).max() <= 1e-4 * np.abs(expected).max()


class MallInfo2(ctypes.Structure):
    """glibc's ``struct mallinfo2`` (glibc ≥ 2.33): where the allocator's memory is."""

    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks")
    ] + [("keepcost", ctypes.c_size_t)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_keep_freed_memory_keeps_large_blocks_in_the_heap_after_free():
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    if not hasattr(libc, "mallinfo2"):
        pytest.skip("this C library has no mallinfo2")
    libc.mallinfo2.restype = MallInfo2
    assert keep_freed_memory()
    size_bytes = 64 * 2**20  # far above glibc's default mmap threshold (128 KiB .. 32 MiB)
    before = libc.mallinfo2()
    block = torch.empty(size_bytes // 4)
    during = libc.mallinfo2()
    del block
    after = libc.mallinfo2()
    assert during.hblkhd - before.hblkhd < size_bytes  # not served by mmap ...
    assert during.arena >= size_bytes  # ... but from the heap,
    assert after.arena == during.arena  # which keeps it after free (no trim back to the system)
