"""Compare denoising methods by the radiomic features of the same nodules: features table, tests, heat map."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ctdenoise.errors import CtDenoiseError
from ctdenoise.io.atomic import atomic_path, refuse_to_clobber
from ctdenoise.radiomics.cases import RadiomicsCase, read_cases
from ctdenoise.radiomics.extractor import build_extractor, extract_nodule_features, extraction_settings
from ctdenoise.radiomics.nodules import DEFAULT_MIN_VOXELS, read_nodule_mask
from ctdenoise.radiomics.stats import paired_feature_tests, write_rows_csv

FEATURES_CSV = "radiomics_features.csv"
TESTS_CSV = "radiomics_tests.csv"
HEATMAP_PNG = "radiomics_heatmap.png"
SUMMARY_JSON = "radiomics_summary.json"


def collect_feature_values(
    cases: list[RadiomicsCase],
    params: dict | Path | str | None = None,
    min_voxels: int = DEFAULT_MIN_VOXELS,
    roi: str | None = None,
    contour_method: str | None = None,
    progress: bool = True,
) -> tuple[dict[str, dict[str, list[float]]], list[dict]]:
    """Features of every nodule of every case for every method.

    Args:
        cases: from ``read_cases``.
        params, min_voxels: as for ``extract_nodule_features``.
        roi: ROI name when the masks are RTSTRUCT files.
        contour_method: the method whose image RTSTRUCT contours are filled on (default: the first method).
        progress: progress bar over cases.

    Returns:
        ``values`` (method → feature → one value per nodule, nodules in the same order for all methods) and the
        long table rows ``{"case", "nodule", "method", feature: value...}``.
    """
    from ctdenoise.io import read_volume

    values: dict[str, dict[str, list[float]]] = {}
    table = []
    for case in tqdm(cases, desc="compare-radiomics", unit="case", disable=not progress):
        images = {method: read_volume(image_path) for method, image_path in case.image_paths.items()}
        mask = read_nodule_mask(case.mask_path, images[contour_method or next(iter(images))], roi=roi)
        nodules_of_first_method = None
        for method, image in images.items():
            rows = extract_nodule_features(image, mask, params=params, min_voxels=min_voxels, progress=False)
            nodules = [row["nodule"] for row in rows]
            if nodules_of_first_method is None:
                nodules_of_first_method = nodules
            elif nodules != nodules_of_first_method:
                raise CtDenoiseError(f"case {case.case_id}: methods found different nodules in {case.mask_path}")
            for row in rows:
                table.append({"case": case.case_id, "method": method, **row})
                for feature, value in row.items():
                    if feature != "nodule":
                        values.setdefault(method, {}).setdefault(feature, []).append(value)
    return values, table


def compare_radiomics(
    case_list: Path | str,
    out_dir: Path | str,
    baseline: str,
    reference: str | None = None,
    params: dict | Path | str | None = None,
    min_voxels: int = DEFAULT_MIN_VOXELS,
    roi: str | None = None,
    alpha: float = 0.05,
    overwrite: bool = False,
    progress: bool = True,
    plot_heatmap: Callable[..., Any] | None = None,
) -> dict:
    """Run the whole comparison for a case list and write its outputs into ``out_dir``.

    Writes ``radiomics_features.csv`` (one row per case, nodule and method), ``radiomics_tests.csv`` (see
    ``paired_feature_tests``), ``radiomics_summary.json`` (settings, methods, nodule count, consistent features
    per method) and, with ``plot_heatmap``, ``radiomics_heatmap.png`` (the seed's Figure 2).

    Args:
        plot_heatmap: ``ctdenoise.figures.plot_radiomics_heatmap`` (or another ``(rows, path, overwrite=)``
            plotter), passed in by the caller: figures draw radiomics results, so radiomics never imports figures.

    Returns:
        The summary dict.
    """
    out_dir = Path(out_dir)
    outputs = [out_dir / name for name in (FEATURES_CSV, TESTS_CSV, HEATMAP_PNG, SUMMARY_JSON)]
    for output in outputs:
        refuse_to_clobber(output, overwrite)
    cases = read_cases(case_list)
    methods = list(cases[0].image_paths)
    for name in (baseline, reference):
        if name is not None and name not in methods:
            raise CtDenoiseError(f"{case_list}: no method '{name}'; methods are {', '.join(methods)}")
    if len(methods) < 2:
        raise CtDenoiseError(f"{case_list}: need at least two methods (columns) to compare")
    values, table = collect_feature_values(
        cases, params=params, min_voxels=min_voxels, roi=roi, contour_method=reference or baseline, progress=progress
    )
    rows = paired_feature_tests(values, baseline=baseline, reference=reference, alpha=alpha)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_rows_csv(table, outputs[0], overwrite=overwrite)
    write_rows_csv(rows, outputs[1], overwrite=overwrite)
    if plot_heatmap is not None:
        plot_heatmap(rows, outputs[2], overwrite=overwrite)
    consistent = {
        method: sum(
            1 for row in rows if row["method"] == method and not row["significant"] and not math.isnan(row["p_value"])
        )
        for method in methods
        if method != baseline
    }
    summary = {
        "settings": extraction_settings(build_extractor(params)),
        "methods": methods,
        "baseline": baseline,
        "reference": reference,
        "alpha": alpha,
        "cases": len(cases),
        "nodules": len(table) // len(methods),
        "features": len(values[baseline]),
        "consistent_features": consistent,
        "significant_features_bh": {
            method: sum(1 for row in rows if row["method"] == method and row["significant_bh"]) for method in consistent
        },
    }
    with atomic_path(outputs[3]) as temporary:
        temporary.write_text(json.dumps(summary, indent=2))
    return summary
