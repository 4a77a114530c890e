"""The training loop on tiny synthetic pairs: it learns, resumes bit-exactly, refuses clobbering, runs bf16."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch
from training_helpers import tiny_config

from ctdenoise.errors import CtDenoiseError
from ctdenoise.models import NETWORKS, load_model_file
from ctdenoise.training import load_training_config, train


def test_training_lowers_the_loss_and_writes_a_complete_run(pairs_csv: Path, tmp_path: Path) -> None:
    config = tiny_config(pairs_csv, steps=120, lr=1e-2, val_every=60, log_every=10, tensorboard=True)
    result = train(config, tmp_path / "run", progress=False)
    losses = [row["loss"] for row in result.history]
    assert len(losses) == 12
    assert sum(losses[-2:]) < 0.8 * sum(losses[:2])
    validated = [row for row in result.history if "val_psnr_db" in row]
    assert [int(row["step"]) for row in validated] == [60, 120]
    assert validated[-1]["val_psnr_db"] > validated[-1]["val_input_psnr_db"]  # beats the noisy input
    run = tmp_path / "run"
    for name in ("last.pt", "best.pt", "config.yaml", "split.csv", "metrics.csv"):
        assert (run / name).is_file(), name
    assert any((run / "tensorboard").glob("events.out.tfevents.*"))
    assert load_training_config(run / "config.yaml")["train"]["steps"] == 120  # the saved config repeats the run
    loaded = load_model_file(result.best_checkpoint)  # a checkpoint is also a model file
    assert loaded.config.arch == "stresnet" and loaded.metadata["training_step"] in (60, 120)
    assert result.seconds_per_iteration > 0


def test_resume_after_a_kill_is_bit_exact(pairs_csv: Path, tmp_path: Path) -> None:
    """Uninterrupted 6 steps == 3 steps, "killed", resumed to 6 (with a data-loader worker the second time)."""
    straight = train(tiny_config(pairs_csv), tmp_path / "straight", progress=False)
    interrupted = tiny_config(pairs_csv)
    train(interrupted, tmp_path / "resumed", progress=False, stop_at_step=3)
    assert torch.load(tmp_path / "resumed" / "last.pt", weights_only=True)["training"]["step"] == 3
    interrupted["data"]["workers"] = 1
    resumed = train(interrupted, tmp_path / "resumed", resume=True, progress=False)
    a = torch.load(straight.last_checkpoint, weights_only=True)
    b = torch.load(resumed.last_checkpoint, weights_only=True)
    for name, tensor in a["state_dict"].items():
        assert torch.equal(tensor, b["state_dict"][name]), name
    for key, state in a["training"]["optimizer"]["state"].items():
        assert torch.equal(state["exp_avg_sq"], b["training"]["optimizer"]["state"][key]["exp_avg_sq"])
    assert a["training"]["scheduler"] == b["training"]["scheduler"]
    with (tmp_path / "resumed" / "metrics.csv").open() as handle:
        steps = [int(row["step"]) for row in csv.DictReader(handle)]
    assert steps == [1, 2, 3, 4, 5, 6]


def test_an_existing_run_is_not_clobbered(pairs_csv: Path, tmp_path: Path) -> None:
    config = tiny_config(pairs_csv, steps=1)
    train(config, tmp_path / "run", progress=False)
    with pytest.raises(CtDenoiseError, match="--resume"):
        train(config, tmp_path / "run", progress=False)


def test_bf16_autocast_on_cpu_trains_and_fp16_is_refused(pairs_csv: Path, tmp_path: Path) -> None:
    result = train(tiny_config(pairs_csv, steps=2, precision="bf16"), tmp_path / "bf16", progress=False)
    assert all(torch.isfinite(p).all() for p in result.model.parameters())
    assert all(p.dtype == torch.float32 for p in result.model.parameters())  # autocast keeps fp32 master weights
    with pytest.raises(CtDenoiseError, match="fp16 training needs a CUDA GPU"):
        train(tiny_config(pairs_csv, steps=1, precision="fp16"), tmp_path / "fp16", progress=False)


@pytest.mark.parametrize("arch", list(NETWORKS))
def test_every_registered_network_trains_and_its_checkpoint_reloads(pairs_csv: Path, tmp_path: Path, arch: str) -> None:
    config = tiny_config(pairs_csv, steps=2, val_every=2)
    config["model"]["arch"] = arch
    config["data"]["patch_zyx"] = [4, 24, 24]  # in-plane ≥ 21: RED-CNN's unpadded encoder
    result = train(config, tmp_path / arch, progress=False)
    loaded = load_model_file(result.last_checkpoint)
    assert loaded.config.arch == arch and loaded.metadata["training_step"] == 2


def test_a_diverging_run_stops_with_a_clear_error_before_saving_non_finite_weights(
    pairs_csv: Path, tmp_path: Path
) -> None:
    config = tiny_config(pairs_csv, steps=30, lr=1e12, grad_clip=0.0, checkpoint_every=1, val_every=100)
    with pytest.raises(CtDenoiseError, match=r"training loss became (nan|inf) at step \d+ \(fp32\).*last good"):
        train(config, tmp_path / "run", progress=False)
    last = tmp_path / "run" / "last.pt"
    if last.exists():  # checkpoints written before the divergence hold finite weights only
        state = torch.load(last, weights_only=True)["state_dict"]
        assert all(torch.isfinite(tensor).all() for tensor in state.values())


def test_the_divergence_message_names_a_bf16_patch_shorter_than_the_head_kernel(tmp_path: Path) -> None:
    from ctdenoise.training.loop import diverged_message

    assert "fewer than the 5-slice head kernel" in diverged_message(float("nan"), 7, "bf16", tmp_path, 4, 5)
    assert "lower train.lr" in diverged_message(float("nan"), 7, "fp32", tmp_path, 4, 5)
