"""Multi-process training with ``torchrun``: DistributedDataParallel on NCCL (GPUs) or gloo (CPU).

``torchrun --nproc-per-node=4 -m ctdenoise train ...`` sets RANK / WORLD_SIZE / LOCAL_RANK; a plain run is a
world of one and none of this is used. Every process holds the same initial weights (same seed; DDP also
broadcasts rank 0's), gradients are averaged across processes, so all copies stay identical.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from ctdenoise.errors import CtDenoiseError


@dataclass(frozen=True)
class DistributedContext:
    """Who this process is and where it computes."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def pick_device(preference: str, local_rank: int = 0) -> torch.device:
    """``auto`` → this process's GPU when there is one, else the CPU."""
    if preference == "cuda" and not torch.cuda.is_available():
        raise CtDenoiseError("train.device is 'cuda' but no CUDA GPU is available")
    if preference in ("cuda", "auto") and torch.cuda.is_available():
        return torch.device("cuda", local_rank % torch.cuda.device_count())
    return torch.device("cpu")


def setup_distributed(device_preference: str = "auto") -> DistributedContext:
    """Join the process group torchrun describes (environment variables), or return a world of one."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local_rank = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    device = pick_device(device_preference, local_rank)
    if world_size > 1 and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend=backend, rank=rank, world_size=world_size)
    return DistributedContext(rank=rank, world_size=world_size, local_rank=local_rank, device=device)


def wrap_model(model: nn.Module, context: DistributedContext) -> nn.Module:
    """DistributedDataParallel around ``model`` when there are several processes."""
    if not context.distributed:
        return model
    device_ids = [context.device.index] if context.device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=device_ids)


def mean_over_processes(value: float, context: DistributedContext) -> float:
    """The mean of a per-process number over all processes (the number itself in a world of one)."""
    if not context.distributed:
        return value
    tensor = torch.tensor([value], dtype=torch.float64, device=context.device)
    dist.all_reduce(tensor)
    return float(tensor.item()) / context.world_size


def gather_objects(items: list, context: DistributedContext) -> list:
    """All processes' lists joined (rank order), on every process."""
    if not context.distributed:
        return list(items)
    gathered: list[list] = [[] for _ in range(context.world_size)]
    dist.all_gather_object(gathered, items)
    return [item for part in gathered for item in part]


def barrier(context: DistributedContext) -> None:
    if context.distributed:
        dist.barrier()


def teardown_distributed(context: DistributedContext) -> None:
    if context.distributed and dist.is_initialized():
        dist.destroy_process_group()
