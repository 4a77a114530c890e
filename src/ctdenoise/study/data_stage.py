"""Study data: full-dose volumes with nodule masks (phantom cohort or the user's), their simulated 10 %-dose
2 mm partners, and a patient-level train/validation/test split written as a pairs manifest."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ctdenoise.errors import CtDenoiseError
from ctdenoise.io import read_volume, write_volume
from ctdenoise.io.atomic import atomic_path
from ctdenoise.pairs import PAPER_SPLIT_PATIENTS, SPLITS, PairRecord, assign_splits
from ctdenoise.volume import Volume

SEED_SPLIT = dict(zip(SPLITS, PAPER_SPLIT_PATIENTS, strict=True))  # the seed's 80/20/84 patients
PATH_COLUMNS = ("low_dose", "full_dose", "nodule_mask")


@dataclass(frozen=True)
class SourceSubject:
    """A full-dose scan and its nodule label mask (paths), before simulation."""

    subject_id: str
    full_dose: Path
    nodule_mask: Path
    roi: str | None = None


def split_subjects(subject_ids: list[str], proportions: dict[str, float], seed: int) -> dict[str, str]:
    """Assign whole subjects (never patches of one subject) to train/val/test in the given proportions, with the
    same rule training uses for a manifest without a split column (``ctdenoise.pairs.assign_splits``)."""
    if len(subject_ids) < 3:
        raise CtDenoiseError(f"a study needs at least 3 subjects for train/val/test, got {len(subject_ids)}")
    records = [PairRecord(subject_id, Path(), Path()) for subject_id in subject_ids]
    return assign_splits(records, seed, (proportions["train"], proportions["val"], proportions["test"]))


def _phantom_subjects(manifest_path: Path) -> list[SourceSubject]:
    manifest = json.loads(manifest_path.read_text())
    root = manifest_path.parent
    return [
        SourceSubject(entry["subject_id"], root / entry["full_dose"], root / entry["nodule_mask"])
        for entry in manifest["subjects"]
    ]


def _csv_subjects(csv_path: Path) -> list[SourceSubject]:
    with csv_path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    needed = {"subject_id", "image", "mask"}
    if not rows or not needed <= set(rows[0]):
        raise CtDenoiseError(f"{csv_path}: needs columns {sorted(needed)} (optional: roi) and at least one row")
    root = csv_path.parent
    return [SourceSubject(r["subject_id"], root / r["image"], root / r["mask"], r.get("roi") or None) for r in rows]


def find_source_subjects(data_dir: Path) -> list[SourceSubject]:
    """The subjects of a user's data folder: ``manifest.json`` (phantom layout) or ``subjects.csv``
    (columns subject_id,image,mask[,roi]; image = DICOM folder or volume file, mask = label image or RTSTRUCT)."""
    data_dir = Path(data_dir)
    if (data_dir / "manifest.json").is_file():
        return _phantom_subjects(data_dir / "manifest.json")
    if (data_dir / "subjects.csv").is_file():
        return _csv_subjects(data_dir / "subjects.csv")
    raise CtDenoiseError(
        f"{data_dir}: no manifest.json or subjects.csv (columns subject_id,image,mask[,roi]) describing the scans"
    )


def crop_slices(volume: Volume, n_slices: int) -> Volume:
    """The first ``n_slices`` slices (same origin), so a z×2 prediction and its target share a grid."""
    return volume.with_array(volume.hu[:n_slices])


def simulate_subject(subject: SourceSubject, out_dir: Path, simulation: dict[str, Any], seed: int) -> dict[str, str]:
    """Simulate one subject's low-dose scan and write low dose, full dose and nodule mask as NIfTI."""
    from ctdenoise.io import read_mask
    from ctdenoise.simulate import FluxModel, simulate_low_dose

    full = read_volume(subject.full_dose)
    mask = read_mask(subject.nodule_mask, reference=full, roi=subject.roi)
    slice_mm = simulation.get("slice_mm") or 2 * full.spacing_mm[0]
    low = simulate_low_dose(
        full,
        dose_fraction=simulation["dose_fraction"],
        slice_mm=slice_mm,
        seed=seed,
        geometry=simulation.get("geometry", "siemens"),
        progress=False,
        flux=FluxModel(float(simulation["full_dose_photons"])) if simulation.get("full_dose_photons") else None,
    )
    z_scale = round(low.spacing_mm[0] / full.spacing_mm[0])
    n_target = low.shape[0] * z_scale
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "low_dose": out_dir / "low_dose.nii.gz",
        "full_dose": out_dir / "full_dose.nii.gz",
        "nodule_mask": out_dir / "nodules.nii.gz",
    }
    write_volume(low, files["low_dose"], overwrite=True)
    write_volume(crop_slices(full, n_target), files["full_dose"], overwrite=True)
    write_volume(crop_slices(mask, n_target), files["nodule_mask"], overwrite=True)
    return {key: str(path) for key, path in files.items()}


def write_pairs_manifest(rows: list[dict[str, str]], path: Path) -> Path:
    """The pairs CSV that training reads: subject_id,low_dose,full_dose,split,nodule_mask (paths relative)."""
    with atomic_path(path) as temporary, temporary.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["subject_id", "low_dose", "full_dose", "split", "nodule_mask"])
        writer.writeheader()
        for row in rows:
            relative = {key: str(Path(row[key]).relative_to(path.parent)) for key in PATH_COLUMNS}
            writer.writerow({"subject_id": row["subject_id"], "split": row["split"], **relative})
    return path


def prepare_study_data(
    work_dir: Path, data_config: dict[str, Any], seed: int, data_dir: Path | None, progress: bool = True
) -> dict:
    """Make (or read) the full-dose cohort, simulate its low-dose partners and split it by patient."""
    if data_dir is None:
        from ctdenoise.phantom import generate_cohort

        phantom = data_config["phantom"]
        manifest = generate_cohort(
            work_dir / "full_dose_cohort",
            n_subjects=phantom["n_subjects"],
            seed=seed,
            shape_zyx=tuple(phantom["shape_zyx"]),
            spacing_mm=tuple(phantom["spacing_mm"]),
            progress=progress,
        )
        subjects = _phantom_subjects(Path(manifest))
        description = (
            f"built-in digital chest phantom cohort, {len(subjects)} subjects of "
            f"{'×'.join(map(str, phantom['shape_zyx']))} voxels at {phantom['spacing_mm']} mm"
        )
    else:
        subjects = find_source_subjects(data_dir)
        description = f"{len(subjects)} full-dose scans from {data_dir}"
    splits = split_subjects([s.subject_id for s in subjects], data_config.get("split", SEED_SPLIT), seed)
    rows = []
    for index, subject in enumerate(tqdm(subjects, desc="simulating low dose", unit="subject", disable=not progress)):
        files = simulate_subject(subject, work_dir / "subjects" / subject.subject_id, data_config, seed * 1000 + index)
        rows.append({"subject_id": subject.subject_id, "split": splits[subject.subject_id], **files})
    manifest_path = write_pairs_manifest(rows, work_dir / "pairs.csv")
    counts = {name: sum(1 for r in rows if r["split"] == name) for name in ("train", "val", "test")}
    return {"pairs_manifest": str(manifest_path), "description": description, "split_counts": counts}
