"""Validation during training: PSNR of the network and of the plain (upsampled) input on fixed patches."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

from ctdenoise.metrics.window import DEFAULT_WINDOW_HU
from ctdenoise.models.normalization import HUNormalization
from ctdenoise.training.data import FixedPatchDataset
from ctdenoise.training.ddp import DistributedContext, gather_objects


def window_psnr_db(prediction_hu: torch.Tensor, target_hu: torch.Tensor, window_hu=DEFAULT_WINDOW_HU) -> float:
    """PSNR in dB with both images clipped to ``window_hu`` and the window width as peak value."""
    low, high = window_hu
    error = prediction_hu.clamp(low, high) - target_hu.clamp(low, high)
    mse = float(torch.mean(error.double() ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10((high - low) ** 2 / mse)


def make_validation_loader(dataset: FixedPatchDataset, context: DistributedContext) -> DataLoader:
    """One patch per batch; with several processes each evaluates its DistributedSampler shard."""
    sampler = None
    if context.distributed:
        sampler = DistributedSampler(dataset, num_replicas=context.world_size, rank=context.rank, shuffle=False)
    return DataLoader(dataset, batch_size=1, sampler=sampler, num_workers=0)


@torch.no_grad()
def validate(
    model: nn.Module,
    loader: DataLoader,
    normalization: HUNormalization,
    z_scale: int,
    context: DistributedContext,
    channels_last: bool = False,
) -> tuple[float, float]:
    """Mean PSNR (dB) over the validation patches of the network output and of the nearest-upsampled input.

    Runs in float32 whatever the training precision, so the numbers compare across precisions.
    """
    was_training = model.training
    model.eval()
    results = []
    for index, low, full in loader:
        low = low.to(context.device)
        if channels_last:
            low = low.contiguous(memory_format=torch.channels_last_3d)
        target_hu = normalization.to_hu(full.to(context.device))
        prediction_hu = normalization.to_hu(model(low))
        input_hu = normalization.to_hu(low.repeat_interleave(z_scale, dim=2))
        results.append((int(index), window_psnr_db(prediction_hu, target_hu), window_psnr_db(input_hu, target_hu)))
    model.train(was_training)
    unique = {index: (psnr, input_psnr) for index, psnr, input_psnr in gather_objects(results, context)}
    count = len(unique)
    return (sum(v[0] for v in unique.values()) / count, sum(v[1] for v in unique.values()) / count)
