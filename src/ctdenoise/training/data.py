"""Training data: a pairs manifest (``ctdenoise.pairs``) → random 3D patch pairs with matched z×2 geometry.

Patches are addressed by a *sample index*: sample ``i`` is drawn from a generator seeded with ``(seed, i)``. The
batch of step ``s`` is samples ``s·B … s·B + B − 1`` (B = global batch), split over the processes in rank order.
That makes every batch a pure function of the step, whatever the number of workers or processes, which is what
lets ``--resume`` continue bit-exactly and a 2-process DDP run see the same data as a 1-process run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from ctdenoise.errors import CtDenoiseError
from ctdenoise.models.normalization import HUNormalization
from ctdenoise.pairs import PairRecord
from ctdenoise.volume import Volume


def check_pair_geometry(low: Volume, full: Volume, z_scale: int, where: str) -> None:
    """Refuse pairs whose grids do not line up: same in-plane grid, z spacing ×z_scale, low slice k = mean of
    full slices z_scale·k … z_scale·k + z_scale − 1 (so its centre sits (z_scale − 1)/2 full slices further)."""
    tolerance_mm = 0.25 * full.spacing_mm[0]
    problems = []
    if low.shape[1:] != full.shape[1:]:
        problems.append(f"in-plane shapes differ ({low.shape[1:]} vs {full.shape[1:]})")
    if not np.allclose(low.spacing_mm[1:], full.spacing_mm[1:], rtol=1e-3):
        problems.append(f"in-plane spacings differ ({low.spacing_mm[1:]} vs {full.spacing_mm[1:]} mm)")
    if not np.isclose(low.spacing_mm[0], z_scale * full.spacing_mm[0], rtol=1e-2):
        problems.append(f"slice spacing {low.spacing_mm[0]} mm is not {z_scale}× the full-dose {full.spacing_mm[0]} mm")
    if not 0 <= full.shape[0] - z_scale * low.shape[0] < z_scale:
        problems.append(f"{low.shape[0]} low-dose slices do not cover {full.shape[0]} full-dose slices at ×{z_scale}")
    expected_origin = full.index_to_lps(np.array([(z_scale - 1) / 2.0, 0.0, 0.0]))
    if not problems and np.abs(expected_origin - np.asarray(low.origin_mm)).max() > tolerance_mm:
        problems.append(f"low-dose origin {low.origin_mm} is not at {tuple(np.round(expected_origin, 3))}")
    if problems:
        raise CtDenoiseError(f"{where}: low-/full-dose grids do not match: {'; '.join(problems)}")


@dataclass
class VolumePair:
    """A loaded pair in network units: ``low`` (Z, Y, X) and ``full`` (Z·z_scale, Y, X)."""

    subject_id: str
    low: np.ndarray
    full: np.ndarray


def load_pairs(
    records: list[PairRecord], normalization: HUNormalization, z_scale: int, progress: bool = False
) -> list[VolumePair]:
    """Read, check and normalise every pair (full dose cropped to exactly z_scale × the low-dose slices)."""
    from tqdm import tqdm

    from ctdenoise.io import read_volume

    pairs = []
    for record in tqdm(records, desc="loading pairs", unit="pair", disable=not progress, leave=False):
        low, full = read_volume(record.low_dose), read_volume(record.full_dose)
        check_pair_geometry(low, full, z_scale, f"{record.low_dose.name} / {record.full_dose.name}")
        full_hu = full.hu[: z_scale * low.shape[0]]
        pairs.append(VolumePair(record.subject_id, normalization.to_model(low.hu), normalization.to_model(full_hu)))
    return pairs


def crop_pair(pair: VolumePair, corner_zyx: tuple[int, int, int], patch_zyx: tuple[int, int, int], z_scale: int):
    """The low-dose patch at ``corner_zyx`` and the full-dose patch covering the same physical slab."""
    (z, y, x), (dz, dy, dx) = corner_zyx, patch_zyx
    low = pair.low[z : z + dz, y : y + dy, x : x + dx]
    full = pair.full[z * z_scale : (z + dz) * z_scale, y : y + dy, x : x + dx]
    return low, full


def _check_fits(pairs: list[VolumePair], patch_zyx: tuple[int, int, int]) -> None:
    for pair in pairs:
        if any(n < p for n, p in zip(pair.low.shape, patch_zyx, strict=True)):
            raise CtDenoiseError(
                f"subject {pair.subject_id}: low-dose volume {pair.low.shape} is smaller than the patch {patch_zyx}"
            )


class RandomPatchDataset(Dataset):
    """Sample ``i`` = a random patch pair drawn from a generator seeded ``(seed, i)``: subject, corner, flips.

    Args:
        pairs: loaded training pairs.
        patch_zyx: patch size on the low-dose grid; the full-dose patch is ``z_scale`` times longer in z.
        z_scale: slices of full dose per low-dose slice.
        seed: the run's seed.
        flips: random flips along z, y and x (the same for both patches; a z flip keeps slice pairs aligned,
            low slice k ↔ full slices z_scale·k…, because both patches are reversed as a whole).
    """

    def __init__(
        self, pairs: list[VolumePair], patch_zyx: tuple[int, int, int], z_scale: int, seed: int, flips: bool = True
    ) -> None:
        _check_fits(pairs, patch_zyx)
        self.pairs, self.patch_zyx, self.z_scale, self.seed, self.flips = pairs, tuple(patch_zyx), z_scale, seed, flips

    def __len__(self) -> int:
        return 2**62  # addressed by sample index; the sampler decides which indices a run uses

    def __getitem__(self, sample_index: int) -> tuple[torch.Tensor, torch.Tensor]:
        rng = np.random.default_rng([self.seed, int(sample_index)])
        pair = self.pairs[int(rng.integers(len(self.pairs)))]
        corner = tuple(int(rng.integers(n - p + 1)) for n, p in zip(pair.low.shape, self.patch_zyx, strict=True))
        low, full = crop_pair(pair, corner, self.patch_zyx, self.z_scale)
        if self.flips:
            axes = tuple(axis for axis in range(3) if rng.random() < 0.5)
            low, full = np.flip(low, axes), np.flip(full, axes)
        return torch.from_numpy(low.copy())[None], torch.from_numpy(full.copy())[None]


class StepShardSampler(Sampler[int]):
    """The sample indices of steps ``start_step … total_steps − 1`` that this process trains on.

    Step s uses global samples ``s·B … s·B + B − 1``; process ``rank`` takes the slice
    ``[rank·B/W, (rank+1)·B/W)``. It does DistributedSampler's job (disjoint shards per rank) but restarts at any
    step without replaying the epoch, which a bit-exact resume needs.
    """

    def __init__(self, start_step: int, total_steps: int, global_batch: int, rank: int = 0, world_size: int = 1):
        if global_batch % world_size:
            raise CtDenoiseError(f"batch_size {global_batch} must be divisible by the {world_size} processes")
        self.start_step, self.total_steps, self.global_batch = start_step, total_steps, global_batch
        self.per_rank = global_batch // world_size
        self.offset = rank * self.per_rank

    def __len__(self) -> int:
        return max(0, self.total_steps - self.start_step) * self.per_rank

    def __iter__(self) -> Iterator[int]:
        for step in range(self.start_step, self.total_steps):
            first = step * self.global_batch + self.offset
            yield from range(first, first + self.per_rank)


class FixedPatchDataset(Dataset):
    """Validation patches: ``count`` pairs at fixed positions (seeded), no flips, the same every evaluation."""

    def __init__(
        self, pairs: list[VolumePair], patch_zyx: tuple[int, int, int], z_scale: int, count: int, seed: int = 0
    ) -> None:
        self.pairs, self.z_scale = pairs, z_scale
        self.patch_zyx = tuple(min(p, min(pair.low.shape[a] for pair in pairs)) for a, p in enumerate(patch_zyx))
        rng = np.random.default_rng([seed, 7919])
        self.places = []
        for index in range(count):
            pair_index = index % len(pairs)
            shape = pairs[pair_index].low.shape
            corner = tuple(int(rng.integers(n - p + 1)) for n, p in zip(shape, self.patch_zyx, strict=True))
            self.places.append((pair_index, corner))

    def __len__(self) -> int:
        return len(self.places)

    def __getitem__(self, index: int) -> tuple[int, torch.Tensor, torch.Tensor]:
        pair_index, corner = self.places[index]
        low, full = crop_pair(self.pairs[pair_index], corner, self.patch_zyx, self.z_scale)
        return index, torch.from_numpy(low.copy())[None], torch.from_numpy(full.copy())[None]
