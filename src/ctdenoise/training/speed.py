"""Seconds per training iteration of a network at a given patch size and precision (for benchmarks/)."""

from __future__ import annotations

import statistics
import time

import torch
from torch import nn

from ctdenoise.cpu_memory import keep_freed_memory
from ctdenoise.models.config import ModelConfig, build_model
from ctdenoise.training.loop import training_step


def seconds_per_training_iteration(
    config: ModelConfig,
    patch_zyx: tuple[int, int, int] = (8, 32, 32),
    batch_size: int = 1,
    precision: str = "fp32",
    iterations: int = 5,
    warmup: int = 1,
    device: str = "cpu",
    channels_last: bool = False,
    seed: int = 0,
) -> float:
    """Median wall time of one optimisation step (forward, L1 loss, backward, Adam) on random patches.

    Uses the training loop's own ``training_step``, so it times exactly what ``ctdenoise train`` runs, minus data
    loading. The input patch is ``patch_zyx`` on the low-dose grid; the target is ``z_scale`` times longer in z.
    """
    torch.manual_seed(seed)
    target_device = torch.device(device)
    if target_device.type == "cpu":
        keep_freed_memory()  # as ``train`` does
    model = build_model(config).to(target_device)
    memory_format = torch.channels_last_3d if channels_last else torch.contiguous_format
    model = model.to(memory_format=memory_format).train()
    # A non-zero tail, so the whole network is in the gradient path as it is after the first steps of training.
    nn.init.normal_(model.tail.last_conv.weight, std=1e-2)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    scaler = torch.amp.GradScaler(target_device.type, enabled=precision == "fp16")
    low = torch.randn(batch_size, 1, *patch_zyx, device=target_device).contiguous(memory_format=memory_format)
    full_zyx = (patch_zyx[0] * config.z_scale, *patch_zyx[1:])
    full = torch.randn(batch_size, 1, *full_zyx, device=target_device)
    loss_function = nn.L1Loss()

    def synchronise() -> None:
        if target_device.type == "cuda":
            torch.cuda.synchronize(target_device)

    seconds = []
    for iteration in range(warmup + iterations):
        synchronise()
        start = time.perf_counter()
        training_step(model, low, full, loss_function, optimizer, scaler, precision, grad_clip=1.0)
        synchronise()
        if iteration >= warmup:
            seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)
