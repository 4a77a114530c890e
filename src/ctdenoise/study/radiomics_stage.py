"""Radiomics of every test nodule for every output, paired tests against SRResNet FP32, and Figures 1–2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ctdenoise.io import read_volume
from ctdenoise.pairs import PairRecord
from ctdenoise.study.methods import FULL_DOSE


def _absolute(path: str | Path) -> str:
    """Case lists resolve relative paths against their own folder, so write absolute ones."""
    return str(Path(path).resolve())


def write_case_list(outputs_by_method: dict[str, dict[str, str]], test_rows: list[PairRecord], path: Path) -> Path:
    """A ``compare-radiomics`` case list: per test subject its nodule mask and one image per method."""
    cases = []
    for row in test_rows:
        images = {method: _absolute(outputs[row.subject_id]) for method, outputs in outputs_by_method.items()}
        images[FULL_DOSE] = _absolute(row.full_dose)
        cases.append({"case": row.subject_id, "mask": _absolute(row.nodule_mask), "images": images})
    path.write_text(json.dumps({"cases": cases}, indent=2))
    return path


def pick_figure_nodule(test_rows: list[PairRecord]) -> tuple[PairRecord, int]:
    """The test subject and nodule label for Figure 1: the nodule closest to 12 mm across (clearly visible)."""
    best = None
    for row in test_rows:
        labels = read_volume(row.nodule_mask)
        voxel_ml = float(np.prod(labels.spacing_mm)) / 1000.0
        values, counts = np.unique(labels.hu[labels.hu > 0].astype(int), return_counts=True)
        for value, count in zip(values, counts, strict=True):
            diameter_mm = (6.0 * count * voxel_ml * 1000.0 / np.pi) ** (1.0 / 3.0)
            score = abs(diameter_mm - 12.0)
            if best is None or score < best[0]:
                best = (score, row, int(value))
    if best is None:
        raise ValueError("no nodules in the test split")
    return best[1], best[2]


def nodule_panel(outputs_by_method: dict[str, dict[str, str]], test_rows: list[PairRecord], path: Path) -> Path:
    """Figure 1: low dose, every method and full dose around one nodule at a lung window."""
    from ctdenoise.figures import plot_nodule_panel

    row, label = pick_figure_nodule(test_rows)
    images = {method: read_volume(outputs[row.subject_id]) for method, outputs in outputs_by_method.items()}
    images[FULL_DOSE] = read_volume(row.full_dose)
    mask = read_volume(row.nodule_mask)
    mask.modality = "SEG"
    return plot_nodule_panel(images, mask, path, nodule=label, overwrite=True)


def run_radiomics(
    outputs_by_method: dict[str, dict[str, str]],
    test_rows: list[PairRecord],
    work_dir: Path,
    baseline: str,
    radiomics_config: dict[str, Any],
) -> dict[str, Any]:
    """Features, paired tests (t, BH, Wilcoxon, CCC to full dose), heat map (Figure 2) and Figure 1."""
    from ctdenoise.figures import plot_radiomics_heatmap
    from ctdenoise.radiomics.compare import compare_radiomics

    case_list = write_case_list(outputs_by_method, test_rows, work_dir / "cases.json")
    summary = compare_radiomics(
        case_list,
        work_dir,
        baseline=baseline,
        reference=FULL_DOSE,
        params=radiomics_config.get("params"),
        min_voxels=radiomics_config.get("min_voxels", 10),
        overwrite=True,
        plot_heatmap=plot_radiomics_heatmap,
    )
    figure1 = nodule_panel(outputs_by_method, test_rows, work_dir / "figure1_nodule_panel.png")
    return {
        "summary": summary,
        "figure1": str(figure1),
        "figure2": str(work_dir / "radiomics_heatmap.png"),
        "tests_csv": str(work_dir / "radiomics_tests.csv"),
    }
