"""The training loop: one readable function from a resolved config to ``last.pt`` / ``best.pt``.

Adam on an L1 (default) or L2 loss, cosine or step LR schedule, gradient clipping, mixed precision with
``torch.amp`` (bf16 autocast on CPU and GPU; fp16 + GradScaler on GPU), DDP under ``torchrun``, validation PSNR
on fixed patches, atomic checkpoints every ``checkpoint_every`` steps, and a bit-exact ``resume``.
"""

from __future__ import annotations

import contextlib
import csv
import math
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import yaml
from torch import nn
from torch.utils.data import DataLoader

from ctdenoise.cpu_memory import keep_freed_memory
from ctdenoise.errors import CtDenoiseError
from ctdenoise.io.atomic import atomic_path
from ctdenoise.models.config import build_model
from ctdenoise.models.normalization import HUNormalization
from ctdenoise.pairs import assign_splits, read_pairs_manifest
from ctdenoise.training.checkpointing import (
    BEST_NAME,
    LAST_NAME,
    read_training_checkpoint,
    restore_rng_state,
    save_training_checkpoint,
)
from ctdenoise.training.config import load_training_config, model_config
from ctdenoise.training.data import FixedPatchDataset, RandomPatchDataset, StepShardSampler, load_pairs
from ctdenoise.training.ddp import (
    DistributedContext,
    barrier,
    mean_over_processes,
    setup_distributed,
    teardown_distributed,
    wrap_model,
)
from ctdenoise.training.run_log import RunLog
from ctdenoise.training.validation import make_validation_loader, validate


@dataclass
class TrainResult:
    """What a finished (or stopped) run leaves.

    Args:
        best_checkpoint: ``best.pt`` (highest validation PSNR), or ``last.pt`` when there is no validation data.
        last_checkpoint: ``last.pt``.
        seconds_per_iteration: median wall time of one training step (data + forward + backward + update),
            first two steps (warm-up) left out.
        history: the rows of ``metrics.csv``.
        model: the trained network (unwrapped from DDP, eval mode).
    """

    best_checkpoint: Path | None
    last_checkpoint: Path | None
    seconds_per_iteration: float
    history: list[dict[str, float]] = field(default_factory=list)
    model: nn.Module | None = None


def autocast_context(precision: str, device: torch.device) -> contextlib.AbstractContextManager:
    """fp32: nothing; bf16: autocast to bfloat16 (CPU or GPU); fp16: autocast to float16 (GPU only)."""
    if precision == "fp32":
        return contextlib.nullcontext()
    if precision == "fp16" and device.type != "cuda":
        raise CtDenoiseError("fp16 training needs a CUDA GPU; on a CPU use --precision bf16")
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)


def training_step(
    network: nn.Module,
    low: torch.Tensor,
    full: torch.Tensor,
    loss_function: nn.Module,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    precision: str,
    grad_clip: float = 0.0,
) -> torch.Tensor:
    """One optimisation step (forward under autocast, loss in float32, scaled backward, clipping, update).

    Shared by the training loop and ``benchmarks/bench_training.py``, so the benchmark times exactly what
    training runs. Returns the loss (a 0-d tensor, not yet synchronised to a Python float).
    """
    with autocast_context(precision, low.device):
        prediction = network(low)
    loss = loss_function(prediction.float(), full)
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    if grad_clip > 0:
        scaler.unscale_(optimizer)
        nn.utils.clip_grad_norm_(network.parameters(), grad_clip)
    scaler.step(optimizer)
    scaler.update()
    return loss


#: fp16's loss scaler skips steps whose gradients overflow, so a few non-finite losses in a row are tolerated there.
FP16_NON_FINITE_PATIENCE = 10


def diverged_message(
    loss: float, step: int, precision: str, run_dir: Path, patch_z: int, head_kernel: int | None
) -> str:
    """The one-line error when the training loss stops being finite (training stops before any checkpoint of
    non-finite weights is written, so ``last.pt`` still holds the last good state). ``patch_z``: slices of the
    training patch; ``head_kernel``: the network's head kernel size (None for networks without one)."""
    hint = "lower train.lr or train in fp32"
    if precision == "bf16" and head_kernel and patch_z < head_kernel:
        hint = (
            f"data.patch_zyx has {patch_z} slices, fewer than the {head_kernel}-slice head kernel, which CPU bf16 "
            f"convolutions are known to turn into NaN: use at least {head_kernel} slices or fp32"
        )
    return (
        f"{run_dir}: the training loss became {loss} at step {step} ({precision}); stopped before saving "
        f"non-finite weights ({LAST_NAME} keeps the last good checkpoint); {hint}"
    )


def lr_factor_schedule(train_config: dict[str, Any]):
    """The multiplier of the base LR at each step: linear warm-up, then cosine to 1 % or step decay."""
    total, warmup = int(train_config["steps"]), int(train_config["warmup_steps"])
    milestones = [fraction * total for fraction in train_config["step_milestones"]]
    gamma = float(train_config["step_gamma"])
    cosine = train_config["schedule"] == "cosine"

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        if cosine:
            progress = (step - warmup) / max(1, total - warmup)
            return 0.01 + 0.99 * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))
        return gamma ** sum(step >= milestone for milestone in milestones)

    return factor


def _write_run_files(run_dir: Path, config: dict[str, Any], splits: dict[str, str]) -> None:
    with atomic_path(run_dir / "config.yaml") as temporary:
        temporary.write_text("# Resolved training config; repeat with: ctdenoise train --config THIS_FILE --out DIR\n")
        with temporary.open("a") as handle:
            yaml.safe_dump(config, handle, sort_keys=False)
    with atomic_path(run_dir / "split.csv") as temporary, temporary.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["subject_id", "split"])
        writer.writerows(sorted(splits.items()))


def train(
    config: dict[str, Any] | str | Path,
    run_dir: Path | str,
    resume: bool = False,
    progress: bool = True,
    *,
    stop_at_step: int | None = None,
) -> TrainResult:
    """Train a denoising network; writes checkpoints, ``metrics.csv``, TensorBoard logs and the config to ``run_dir``.

    Args:
        config: a training config (dict, preset name or YAML path; see ``load_training_config``).
        run_dir: the run folder; refused when it already holds a run unless ``resume``.
        resume: continue from ``run_dir/last.pt`` (the stored config is used; only ``train.steps`` may change,
            to extend a run). Without a checkpoint there, training starts from scratch.
        progress: show a progress bar with loss and speed.
        stop_at_step: stop right after this step's checkpoint, as if the job had been killed there (for time-boxed
            jobs and the resume test).

    Example:
        >>> result = train(load_training_config("quick", {"data": {"pairs": "pairs.csv"}}), "runs/quick")  # doctest: +SKIP
        >>> result.best_checkpoint  # doctest: +SKIP
        PosixPath('runs/quick/best.pt')
    """
    config = load_training_config(config)
    run_dir = Path(run_dir)
    last_path = run_dir / LAST_NAME
    if last_path.exists() and not resume:
        raise CtDenoiseError(
            f"{run_dir}: already holds a training run ({LAST_NAME}); pass --resume or choose another --out"
        )
    record = read_training_checkpoint(last_path) if resume and last_path.exists() else None
    if record is not None:
        steps = config["train"]["steps"]
        config = load_training_config(record["training"]["config"], {"train": {"steps": steps}})
    if config["data"]["pairs"] is None:
        raise CtDenoiseError("training config has no data.pairs; give a pairs CSV (--pairs PAIRS.csv)")
    context = setup_distributed(config["train"]["device"])
    if context.device.type == "cpu":
        keep_freed_memory()
    try:
        return _train(config, run_dir, record, context, progress, stop_at_step)
    finally:
        teardown_distributed(context)


def _train(
    config: dict[str, Any],
    run_dir: Path,
    record: dict[str, Any] | None,
    context: DistributedContext,
    progress: bool,
    stop_at_step: int | None,
) -> TrainResult:
    from tqdm import tqdm

    data_config, train_config = config["data"], config["train"]
    architecture = model_config(config)
    normalization = HUNormalization.from_dict(config["normalization"])
    precision, device, total_steps = train_config["precision"], context.device, int(train_config["steps"])
    channels_last = bool(train_config["channels_last"])

    records = read_pairs_manifest(data_config["pairs"])
    splits = assign_splits(records, int(data_config["split_seed"]), tuple(data_config["split_proportions"]))
    train_records = [r for r in records if splits[r.subject_id] == "train"]
    val_records = [r for r in records if splits[r.subject_id] == "val"]
    show = progress and context.is_main
    train_pairs = load_pairs(train_records, normalization, architecture.z_scale, progress=show)
    val_pairs = load_pairs(val_records, normalization, architecture.z_scale, progress=show)

    torch.manual_seed(int(train_config["seed"]))  # the same initial weights in every process
    model = build_model(architecture).to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last_3d)
    optimizer = torch.optim.Adam(
        model.parameters(),
        lr=float(train_config["lr"]),
        betas=tuple(train_config["betas"]),
        weight_decay=float(train_config["weight_decay"]),
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor_schedule(train_config))
    scaler = torch.amp.GradScaler(device.type, enabled=precision == "fp16")
    start_step, best_psnr = 0, None
    if record is not None:
        model.load_state_dict(record["state_dict"])
        optimizer.load_state_dict(record["training"]["optimizer"])
        scheduler.load_state_dict(record["training"]["scheduler"])
        scaler.load_state_dict(record["training"]["scaler"])
        restore_rng_state(record["training"]["rng"])
        start_step, best_psnr = int(record["training"]["step"]), record["training"]["best_val_psnr_db"]
    network = wrap_model(model, context)
    loss_function = nn.L1Loss() if train_config["loss"] == "l1" else nn.MSELoss()

    patch_zyx = tuple(int(v) for v in data_config["patch_zyx"])
    dataset = RandomPatchDataset(
        train_pairs, patch_zyx, architecture.z_scale, int(train_config["seed"]), bool(data_config["flips"])
    )
    sampler = StepShardSampler(
        start_step, total_steps, int(data_config["batch_size"]), context.rank, context.world_size
    )
    loader = DataLoader(
        dataset,
        batch_size=sampler.per_rank,
        sampler=sampler,
        num_workers=int(data_config["workers"]),
        pin_memory=device.type == "cuda",
    )
    val_loader = None
    if val_pairs:
        val_dataset = FixedPatchDataset(
            val_pairs, tuple(data_config["val_patch_zyx"]), architecture.z_scale, int(data_config["val_patches"])
        )
        val_loader = make_validation_loader(val_dataset, context)

    run_log = None
    if context.is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
        _write_run_files(run_dir, config, splits)
        run_log = RunLog(run_dir, start_step, tensorboard=bool(train_config["tensorboard"]))
    extra = {"precision": precision, "pairs": str(data_config["pairs"]), "world_size": context.world_size}

    def save(path: Path, step: int) -> None:
        save_training_checkpoint(
            path,
            model,
            architecture,
            normalization,
            optimizer=optimizer,
            scheduler=scheduler,
            scaler=scaler,
            step=step,
            best_val_psnr_db=best_psnr,
            resolved_config=config,
            metadata=extra,
        )

    step, seconds, interval_losses, non_finite = start_step, [], [], 0
    bar = tqdm(total=total_steps, initial=start_step, desc="train", unit="it", disable=not show, dynamic_ncols=True)
    network.train()
    tick = time.perf_counter()
    for low, full in loader:
        low, full = low.to(device, non_blocking=True), full.to(device, non_blocking=True)
        if channels_last:
            low = low.contiguous(memory_format=torch.channels_last_3d)
        loss = training_step(
            network, low, full, loss_function, optimizer, scaler, precision, float(train_config["grad_clip"])
        )
        scheduler.step()
        step += 1
        interval_losses.append(loss.item())
        non_finite = 0 if math.isfinite(interval_losses[-1]) else non_finite + 1
        if non_finite > (FP16_NON_FINITE_PATIENCE if precision == "fp16" else 0):
            head_kernel = architecture.settings.get("head_kernel")  # the preset's, when the config leaves it out
            raise CtDenoiseError(
                diverged_message(interval_losses[-1], step, precision, run_dir, patch_zyx[0], head_kernel)
            )
        now = time.perf_counter()
        seconds.append(now - tick)
        tick = now
        bar.update(1)
        bar.set_postfix(loss=f"{interval_losses[-1]:.4f}", s_per_it=f"{seconds[-1]:.2f}")

        metrics: dict[str, Any] = {}
        if step % int(train_config["log_every"]) == 0 or step == total_steps:
            metrics["loss"] = mean_over_processes(sum(interval_losses) / len(interval_losses), context)
            metrics["lr"] = scheduler.get_last_lr()[0]
            metrics["seconds_per_iteration"] = statistics.median(seconds[-len(interval_losses) :])
            interval_losses = []
        if val_loader is not None and (step % int(train_config["val_every"]) == 0 or step == total_steps):
            psnr, input_psnr = validate(model, val_loader, normalization, architecture.z_scale, context, channels_last)
            metrics.update(val_psnr_db=psnr, val_input_psnr_db=input_psnr)
            if best_psnr is None or psnr > best_psnr:
                best_psnr = psnr
                if context.is_main:
                    save(run_dir / BEST_NAME, step)
            bar.write(f"step {step}: validation PSNR {psnr:.2f} dB (noisy input {input_psnr:.2f} dB)")
        if run_log is not None and metrics:
            run_log.log(step, metrics)
        stopping = stop_at_step is not None and step >= stop_at_step
        if context.is_main and (step % int(train_config["checkpoint_every"]) == 0 or step == total_steps or stopping):
            save(run_dir / LAST_NAME, step)
        if stopping:
            break
        tick = time.perf_counter()
    bar.close()
    barrier(context)
    history = []
    if run_log is not None:
        history = run_log.history()
        run_log.close()
    measured = seconds[2:] if len(seconds) > 4 else seconds
    best_path = run_dir / BEST_NAME if (run_dir / BEST_NAME).exists() else run_dir / LAST_NAME
    return TrainResult(
        best_checkpoint=best_path,
        last_checkpoint=run_dir / LAST_NAME,
        seconds_per_iteration=statistics.median(measured) if measured else float("nan"),
        history=history,
        model=model.eval(),
    )
