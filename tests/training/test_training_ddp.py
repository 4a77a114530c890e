"""Real DistributedDataParallel: 2 CPU processes on gloo train the same network as 1 process with the whole batch."""

from __future__ import annotations

import socket
from pathlib import Path

import torch
import torch.multiprocessing as mp
from training_helpers import tiny_config

from ctdenoise.training import train


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_rank(rank: int, world_size: int, port: int, config: dict, run_dir: str, weights_dir: str) -> None:
    import os

    os.environ.update(
        MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world_size), LOCAL_RANK=str(rank)
    )
    torch.set_num_threads(1)
    result = train(config, run_dir, progress=False)
    torch.save(result.model.state_dict(), Path(weights_dir) / f"rank{rank}.pt")


def test_two_process_ddp_matches_one_process_with_the_global_batch(pairs_csv: Path, tmp_path: Path) -> None:
    config = tiny_config(pairs_csv, steps=4, val_every=2)
    config["data"]["batch_size"] = 4  # global: 2 patches per process
    mp.spawn(run_rank, args=(2, free_port(), config, str(tmp_path / "ddp"), str(tmp_path)), nprocs=2, join=True)
    rank0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    rank1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    for name, tensor in rank0.items():
        assert torch.equal(tensor, rank1[name]), f"ranks drifted apart at {name}"
    single = train(config, tmp_path / "single", progress=False).model.state_dict()
    saved = torch.load(tmp_path / "ddp" / "last.pt", weights_only=True)
    assert saved["metadata"]["world_size"] == 2
    for name, tensor in rank0.items():
        assert torch.equal(saved["state_dict"][name], tensor)  # rank 0 wrote the checkpoint
        # Same samples, gradients averaged in another order: equal up to float rounding.
        torch.testing.assert_close(tensor, single[name], rtol=1e-4, atol=1e-5)
    assert rank0["tail.temporal.weight"].abs().sum() > 0  # it did train: the zero-initialised tail moved
