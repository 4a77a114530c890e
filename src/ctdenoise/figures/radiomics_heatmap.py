"""Figure 2 of the seed paper: which radiomic features each method changes significantly vs the baseline."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.colors import ListedColormap

from ctdenoise.errors import CtDenoiseError
from ctdenoise.figures.saving import new_figure, save_figure
from ctdenoise.radiomics.extractor import FEATURE_FAMILIES

#: Not significant (consistent with the baseline) = green, significant = red, as in the seed paper.
CONSISTENT_COLOR = "#2e9e49"
CHANGED_COLOR = "#d62728"


def _feature_order(rows: list[dict]) -> list[str]:
    """Features grouped by family (First-Order, GLCM, GLRLM, GLSZM, then others), first-seen order inside."""
    family_rank = {name: rank for rank, name in enumerate(FEATURE_FAMILIES.values())}
    features = list(dict.fromkeys(row["feature"] for row in rows))
    family_of = {row["feature"]: row["family"] for row in rows}
    return sorted(features, key=lambda f: (family_rank.get(family_of[f], len(family_rank)), features.index(f)))


def _short_name(feature: str) -> str:
    return feature.split("_", 1)[1] if "_" in feature else feature


def plot_radiomics_heatmap(
    rows: list[dict], path: Path | str, significance: str = "significant", overwrite: bool = False
) -> Path:
    """Methods × features grid, red where the feature differs from the baseline, green where it is consistent.

    Args:
        rows: output of ``ctdenoise.radiomics.paired_feature_tests`` (or the CSV rows it wrote).
        path: image file to write (.png, .pdf, .svg).
        significance: row key deciding red/green: ``"significant"`` (raw p < α, the seed's choice) or
            ``"significant_bh"`` (Benjamini–Hochberg).
        overwrite: replace an existing file.

    Each method's label ends with its count of consistent features, e.g. ``stresnet-int8 (71/74)``. Features whose
    test could not be run (fewer than two nodules) are grey.
    """
    if not rows:
        raise CtDenoiseError(f"{path}: no test rows to plot")
    methods = list(dict.fromkeys(row["method"] for row in rows))
    features = _feature_order(rows)
    grid = np.full((len(methods), len(features)), np.nan)
    for row in rows:
        flag = row[significance]
        p_value = float(row["p_value"])
        if isinstance(flag, str):
            flag = flag.strip().lower() == "true"
        grid[methods.index(row["method"]), features.index(row["feature"])] = math.nan if math.isnan(p_value) else flag

    figure = new_figure(width_in=3.0 + 0.16 * len(features), height_in=1.8 + 0.4 * len(methods))
    axes = figure.add_subplot()
    colors = ListedColormap([CONSISTENT_COLOR, CHANGED_COLOR]).with_extremes(bad="#bbbbbb")
    axes.imshow(np.ma.masked_invalid(grid), cmap=colors, vmin=0, vmax=1, aspect="auto", interpolation="nearest")
    labels = [f"{method} ({int(np.sum(grid[i] == 0))}/{len(features)})" for i, method in enumerate(methods)]
    axes.set_yticks(range(len(methods)), labels)
    axes.set_xticks(range(len(features)), [_short_name(f) for f in features], rotation=90, fontsize=6)
    families = [next(row["family"] for row in rows if row["feature"] == f) for f in features]
    start = 0
    for index in range(1, len(features) + 1):
        if index == len(features) or families[index] != families[start]:
            if index < len(features):
                axes.axvline(index - 0.5, color="white", linewidth=2)
            axes.text((start + index - 1) / 2, -0.7, families[start], ha="center", va="bottom", fontsize=9)
            start = index
    axes.set_ylim(len(methods) - 0.5, -0.5)
    label = "BH-adjusted" if significance == "significant_bh" else "paired t-test"
    axes.set_title(
        f"Radiomic features vs baseline ({label}): red = significantly different, green = consistent", pad=18
    )
    return save_figure(figure, path, overwrite=overwrite)
