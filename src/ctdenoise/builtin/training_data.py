"""Training pairs for the built-in models, from real full-dose chest CTs and the phantom cohort at real pixel size.

Every source is a full-dose volume. Its simulated 10 %-dose partner (``simulate_low_dose``: fan-beam projection,
Yu 2012 / Zeng 2015 noise, FBP — the seed study's method) is made once on the source's own slices; the z×1 pairs
use it as it is, the z×2 pairs average it to twice the slice thickness (``average_slices``), exactly what
``simulate_low_dose(..., slice_mm=2·Δz)`` does. Real scans give real anatomy and real noise texture at 2–3 mm; the
phantom cohort, made at 0.7 mm pixels and 1 mm slices, gives the true 2 mm → 1 mm scale the z×2 networks learn.

Each real training scan contributes its central :data:`TRAINING_SLICES` slices; the last :data:`VAL_SLICES` of
them form its validation part (never trained on). :data:`HELD_OUT_SCANS` never enter training at all.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from pathlib import Path

from ctdenoise.errors import CtDenoiseError
from ctdenoise.volume import Volume

#: Real scans the built-ins train on (``shared/data/real-chest-ct/<name>.nii.gz``): GE STANDARD, Philips C and
#: Siemens B70f (sharp), so three vendors and a smooth-to-sharp range of kernels.
REAL_TRAINING_SCANS = ("lidc-idri-0001", "itkelastix-chest-00", "cptac-c3n-00247")
#: Real scans kept out of training entirely, for the model cards' held-out numbers and the study's "real scans"
#: section (paths inside the data folder ``shared/data``).
HELD_OUT_SCANS = {"lidc-idri-0003": "real-chest-ct/lidc-idri-0003.nii.gz", "lung1-001": "lung1-001/dicom"}
TRAINING_SLICES = 64
VAL_SLICES = 12
#: The phantom cohort at real-scan pixel size with 1 mm slices (``ctdenoise.phantom.generate_subject``).
PHANTOM_SUBJECTS = 6
#: Further phantom subjects of the same cohort that never enter training: the model cards' phantom test split.
PHANTOM_TEST_SUBJECTS = (6, 7)
PHANTOM_SHAPE_ZYX = (48, 448, 448)
PHANTOM_SPACING_MM = (1.0, 0.7, 0.7)
DOSE_FRACTION = 0.1


def real_scan_path(shared_dir: Path | str, name: str) -> Path:
    """Where a real scan of the shared folder lies (training scans and :data:`HELD_OUT_SCANS`)."""
    return data_scan_path(Path(shared_dir) / "data", name)


def data_scan_path(data_dir: Path | str, name: str) -> Path:
    """Where a real scan lies in a data folder laid out like ``shared/data`` (``real-chest-ct/``, ``lung1-001/``)."""
    relative = HELD_OUT_SCANS.get(name, f"real-chest-ct/{name}.nii.gz")
    path = Path(data_dir) / relative
    if not path.exists():
        raise CtDenoiseError(f"{path}: real scan '{name}' not found (is the shared data folder at {data_dir}?)")
    return path


def central_slab(volume: Volume, n_slices: int = TRAINING_SLICES) -> Volume:
    """The central ``n_slices`` (an even number, so z×2 pairs line up) of ``volume``, or all of an even count."""
    n = min(n_slices, volume.shape[0]) // 2 * 2
    start = (volume.shape[0] - n) // 2
    return volume.slab(start, start + n)


def central_crop_yx(volume: Volume, crop_yx: tuple[int, int] | None) -> Volume:
    """The central ``crop_yx`` pixels of every slice (each voxel keeps its position); None: ``volume`` as it is."""
    if crop_yx is None:
        return volume
    from ctdenoise.radiomics.grid import crop

    box = [slice(0, volume.shape[0])]
    for size, wanted in zip(volume.shape[1:], crop_yx, strict=True):
        n = min(int(wanted), size)
        start = (size - n) // 2
        box.append(slice(start, start + n))
    return crop(volume, tuple(box))


def phantom_subject(index: int, seed: int = 0) -> tuple[str, Volume]:
    """``("phantom-<index>", full-dose volume)``: subject ``index`` of the cohort at :data:`PHANTOM_SPACING_MM`."""
    from ctdenoise.phantom.cohort import subject_name, subject_seed
    from ctdenoise.phantom.subject import generate_subject

    volume = generate_subject(subject_seed(seed, index), PHANTOM_SHAPE_ZYX, PHANTOM_SPACING_MM).full_dose
    return subject_name(index), volume


def phantom_sources(n_subjects: int = PHANTOM_SUBJECTS, seed: int = 0) -> list[tuple[str, Volume]]:
    """Full-dose phantom subjects at :data:`PHANTOM_SPACING_MM` (deterministic by ``seed``)."""
    return [phantom_subject(index, seed) for index in range(n_subjects)]


def phantom_test_sources(seed: int = 0) -> list[tuple[str, Volume]]:
    """The phantom test split: subjects :data:`PHANTOM_TEST_SUBJECTS` of the cohort (never trained or validated on)."""
    return [phantom_subject(index, seed) for index in PHANTOM_TEST_SUBJECTS]


def make_training_pairs(
    sources: Iterable[tuple[str, Volume, str]],
    out_dir: Path | str,
    dose_fraction: float = DOSE_FRACTION,
    seed: int = 0,
    progress: bool = True,
    write: Callable[[Volume, Path], None] | None = None,
    suffix: str = ".nii.gz",
) -> dict[int, Path]:
    """Simulate each source's low-dose partner and write z×1 and z×2 pair manifests.

    Args:
        sources: ``(subject_id, full_dose, role)`` with role ``"split"`` (last :data:`VAL_SLICES` slices become
            a validation subject), ``"train"`` or ``"val"``. Volumes need an even slice count.
        out_dir: folder for ``<subject>/full_dose``, ``low_dose_x1``, ``low_dose_x2`` and the manifests.
        dose_fraction: simulated dose as a fraction of the source's.
        seed: noise seed; source ``i`` uses ``seed + i``.
        progress: progress bars.
        write: volume writer (default ``ctdenoise.io.write_volume``).
        suffix: file suffix the writer understands.

    Returns:
        ``{1: pairs-x1.csv, 2: pairs-x2.csv}`` (columns ``subject_id,low_dose,full_dose,split``).
    """
    from ctdenoise.simulate import simulate_low_dose
    from ctdenoise.simulate.slice_thickness import average_slices

    if write is None:
        from ctdenoise.io import write_volume as write
    out_dir = Path(out_dir)
    rows: dict[int, list[dict[str, str]]] = {1: [], 2: []}
    for index, (subject_id, full, role) in enumerate(sources):
        if full.shape[0] % 2:
            raise CtDenoiseError(f"{subject_id}: needs an even slice count for z×2 pairs, got {full.shape[0]}")
        low = simulate_low_dose(
            full, dose_fraction, slice_mm=None, seed=seed + index, progress=progress, source=subject_id
        )
        n = full.shape[0]
        parts = [("train", 0, n - VAL_SLICES), ("val", n - VAL_SLICES, n)] if role == "split" else [(role, 0, n)]
        for split, start, stop in parts:
            name = f"{subject_id}-{split}" if role == "split" else subject_id
            folder = out_dir / name
            folder.mkdir(parents=True, exist_ok=True)
            full_part, low_part = full.slab(start, stop), low.slab(start, stop)
            low_x2 = average_slices(low_part, 2 * full.spacing_mm[0], name)
            files = {"full_dose": full_part, "low_dose_x1": low_part, "low_dose_x2": low_x2}
            for stem, volume in files.items():
                write(volume, folder / f"{stem}{suffix}")
            for z_scale in (1, 2):
                rows[z_scale].append(
                    {
                        "subject_id": name,
                        "low_dose": f"{name}/low_dose_x{z_scale}{suffix}",
                        "full_dose": f"{name}/full_dose{suffix}",
                        "split": split,
                    }
                )
    manifests = {}
    for z_scale, manifest_rows in rows.items():
        path = out_dir / f"pairs-x{z_scale}.csv"
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["subject_id", "low_dose", "full_dose", "split"])
            writer.writeheader()
            writer.writerows(manifest_rows)
        manifests[z_scale] = path
    return manifests


def builtin_sources(shared_dir: Path | str, phantoms: bool = True, read=None) -> list[tuple[str, Volume, str]]:
    """The built-ins' training sources: the central slabs of :data:`REAL_TRAINING_SCANS` and the phantom cohort
    (the last phantom subject is the phantoms' validation subject)."""
    if read is None:
        from ctdenoise.io import read_volume as read
    sources = [(name, central_slab(read(real_scan_path(shared_dir, name))), "split") for name in REAL_TRAINING_SCANS]
    if phantoms:
        subjects = phantom_sources()
        sources += [
            (sid, volume, "val" if i == len(subjects) - 1 else "train") for i, (sid, volume) in enumerate(subjects)
        ]
    return sources
