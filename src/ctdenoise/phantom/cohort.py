"""A cohort of phantom subjects on disk, with the ``manifest.json`` the rest of ctdenoise reads.

Layout (paths in the manifest are relative to the manifest's folder)::

    OUT/manifest.json
    OUT/phantom-000/full_dose.nii.gz   (or full_dose/ = DICOM series with --format dicom)
    OUT/phantom-000/nodules.nii.gz     label image: 0 background, 1..k one label per nodule
    OUT/phantom-000/lungs.nii.gz       1 = lung (both sides), 0 elsewhere
    OUT/phantom-000/preview.png        (with --preview)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from ctdenoise import __version__
from ctdenoise.errors import CtDenoiseError
from ctdenoise.io import atomic_path, write_itk_volume, write_volume
from ctdenoise.phantom.preview import save_preview_png
from ctdenoise.phantom.subject import DEFAULT_SHAPE_ZYX, DEFAULT_SPACING_MM, generate_subject

MANIFEST_NAME = "manifest.json"
OUTPUT_FORMATS = ("nifti", "dicom")


def subject_seed(seed: int, index: int) -> np.random.SeedSequence:
    """Subject ``index``'s seed: independent of the cohort size, so subject 3 is the same in cohorts of 4 or 40."""
    return np.random.SeedSequence([int(seed), int(index)])


def subject_name(index: int) -> str:
    """Subject ``index``'s id (its folder and manifest name): ``phantom-006``."""
    return f"phantom-{index:03d}"


def generate_cohort(
    out_dir: Path | str,
    n_subjects: int = 8,
    seed: int = 0,
    shape_zyx: tuple[int, int, int] = DEFAULT_SHAPE_ZYX,
    spacing_mm: tuple[float, float, float] = DEFAULT_SPACING_MM,
    output_format: str = "nifti",
    preview: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    reuse_existing: bool = False,
) -> Path:
    """Generate ``n_subjects`` phantom subjects and write them with a manifest; returns the manifest path.

    Args:
        out_dir: folder to create (or fill); an existing manifest there is kept unless ``overwrite``.
        n_subjects: number of subjects (``phantom-000`` …).
        seed: cohort seed; the same seed and arguments give bit-identical files' contents.
        shape_zyx: voxels per subject (z, y, x); the default is a 64-slice chest slab.
        spacing_mm: voxel size (z, y, x) in mm; full dose = 1 mm slices.
        output_format: ``"nifti"`` (``full_dose.nii.gz``) or ``"dicom"`` (a ``full_dose/`` DICOM series);
            masks are always NIfTI label images.
        preview: also write ``preview.png`` (axial/coronal/sagittal at a lung window) per subject.
        overwrite: replace existing subject files and manifest.
        progress: show a progress bar.
        reuse_existing: when ``out_dir`` already holds a complete cohort made with the same arguments, return its
            manifest instead of refusing (phantoms are deterministic, so it is the cohort this call would make);
            lets a resumed study skip the step.

    Example:
        >>> manifest = generate_cohort("phantoms", n_subjects=2, shape_zyx=(32, 128, 128))  # doctest: +SKIP
        >>> json.loads(manifest.read_text())["subjects"][0]["full_dose"]  # doctest: +SKIP
        'phantom-000/full_dose.nii.gz'
    """
    from tqdm import tqdm

    out_dir = Path(out_dir)
    if output_format not in OUTPUT_FORMATS:
        raise CtDenoiseError(f"{out_dir}: unknown phantom output format '{output_format}'; use nifti or dicom")
    if n_subjects < 1:
        raise CtDenoiseError(f"{out_dir}: need at least one subject, got {n_subjects}")
    if out_dir.exists() and not out_dir.is_dir():
        raise CtDenoiseError(f"{out_dir}: exists and is not a folder")
    manifest_path = out_dir / MANIFEST_NAME
    settings = {
        "seed": int(seed),
        "shape_zyx": [int(n) for n in shape_zyx],
        "spacing_mm": [float(s) for s in spacing_mm],
        "format": output_format,
    }
    if reuse_existing and not overwrite and _same_complete_cohort(manifest_path, settings, n_subjects, preview):
        return manifest_path
    if manifest_path.exists() and not overwrite:
        raise CtDenoiseError(f"{manifest_path}: a phantom cohort is already there; pass --overwrite to replace it")
    subjects = []
    for index in tqdm(range(n_subjects), desc="phantom subjects", unit="subject", disable=not progress):
        subject_id = subject_name(index)
        subject = generate_subject(subject_seed(seed, index), shape_zyx=shape_zyx, spacing_mm=spacing_mm)
        folder = out_dir / subject_id
        folder.mkdir(parents=True, exist_ok=True)
        image_name = "full_dose.nii.gz" if output_format == "nifti" else "full_dose"
        write_volume(subject.full_dose, folder / image_name, overwrite=overwrite)
        for volume, name in ((subject.nodule_mask, "nodules.nii.gz"), (subject.lung_mask, "lungs.nii.gz")):
            if (folder / name).exists() and not overwrite:
                raise CtDenoiseError(f"{folder / name}: already exists; pass --overwrite to replace it")
            write_itk_volume(volume, folder / name, pixel_type=sitk.sitkUInt8)
        entry = {
            "subject_id": subject_id,
            "full_dose": f"{subject_id}/{image_name}",
            "nodule_mask": f"{subject_id}/nodules.nii.gz",
            "lung_mask": f"{subject_id}/lungs.nii.gz",
            "nodules": subject.nodules,
        }
        if preview:
            save_preview_png(subject.full_dose, folder / "preview.png", mask=subject.nodule_mask, title=subject_id)
            entry["preview"] = f"{subject_id}/preview.png"
        subjects.append(entry)
    manifest = {"generator": f"ctdenoise {__version__} phantom", **settings, "subjects": subjects}
    with atomic_path(manifest_path) as temporary:
        temporary.write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest_path


def _same_complete_cohort(manifest_path: Path, settings: dict, n_subjects: int, preview: bool) -> bool:
    """True when ``manifest_path`` describes a cohort made with ``settings`` whose files are all present."""
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        return False
    if any(manifest.get(key) != value for key, value in settings.items()):
        return False
    subjects = manifest.get("subjects", [])
    keys = ("full_dose", "nodule_mask", "lung_mask") + (("preview",) if preview else ())
    return len(subjects) == n_subjects and all(
        key in subject and (manifest_path.parent / subject[key]).exists() for subject in subjects for key in keys
    )
