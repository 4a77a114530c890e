"""Small synthetic scans with nodules for the radiomics tests (a few thousand voxels, so pyradiomics is fast)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ctdenoise.io import write_volume
from ctdenoise.volume import Volume

SHAPE_ZYX = (20, 28, 28)
NODULE_CENTRES_ZYX = ((7, 9, 9), (12, 18, 18))


def nodule_labels(radius_voxels: float = 3.5) -> np.ndarray:
    """Two spherical nodules labelled 1 and 2."""
    z, y, x = np.indices(SHAPE_ZYX)
    labels = np.zeros(SHAPE_ZYX, dtype=np.float32)
    for label, (cz, cy, cx) in enumerate(NODULE_CENTRES_ZYX, start=1):
        labels[(z - cz) ** 2 + (y - cy) ** 2 + (x - cx) ** 2 <= radius_voxels**2] = label
    return labels


def textured_scan(seed: int) -> np.ndarray:
    """Lung-like background (−850 HU) with soft-tissue nodules (≈ 0 HU) and some noise."""
    rng = np.random.default_rng(seed)
    hu = np.full(SHAPE_ZYX, -850.0) + rng.normal(0, 40, SHAPE_ZYX)
    hu[nodule_labels() > 0] = rng.normal(10 * seed, 60, int((nodule_labels() > 0).sum()))
    return hu.astype(np.float32)


@pytest.fixture
def radiomics_cases(tmp_path: Path) -> Path:
    """A compare-radiomics case list: 2 cases × 2 nodules; methods base, same (copy), shifted (+10 HU), full_dose."""
    lines = ["case,mask,base,same,shifted,full_dose"]
    for case in range(2):
        folder = tmp_path / f"case-{case}"
        hu = textured_scan(seed=case + 1)
        write_volume(Volume(nodule_labels(), spacing_mm=(1.0, 0.8, 0.8), modality="SEG"), folder / "nodules.nii.gz")
        images = {"base": hu, "same": hu.copy(), "shifted": hu + 10.0, "full_dose": hu + np.float32(1.0)}
        for method, array in images.items():
            write_volume(Volume(array, spacing_mm=(1.0, 0.8, 0.8)), folder / f"{method}.nii.gz")
        lines.append(f"case-{case},case-{case}/nodules.nii.gz," + ",".join(f"case-{case}/{m}.nii.gz" for m in images))
    case_list = tmp_path / "cases.csv"
    case_list.write_text("\n".join(lines) + "\n")
    return case_list
