"""Paired statistics of radiomic features: does a method change a feature compared with the baseline?

The seed paper (Wei & Hsu, MIDL 2021) compares each method with SRResNet FP32 by a paired t-test per feature,
p < 0.05. Beyond it: Benjamini–Hochberg false-discovery-rate correction over the features of a method, the Wilcoxon
signed-rank test as a non-parametric check, and Lin's concordance correlation coefficient (CCC) of each method with
the full-dose reference.
"""

from __future__ import annotations

import csv
import math
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy import stats

from ctdenoise.errors import CtDenoiseError
from ctdenoise.io.atomic import atomic_path, refuse_to_clobber
from ctdenoise.radiomics.extractor import feature_family

#: Column order of the statistics table.
TEST_COLUMNS = (
    "method",
    "feature",
    "family",
    "n",
    "mean_baseline",
    "mean_method",
    "mean_difference",
    "t_statistic",
    "p_value",
    "significant",
    "p_value_bh",
    "significant_bh",
    "wilcoxon_statistic",
    "wilcoxon_p_value",
    "ccc_vs_reference",
)


def benjamini_hochberg(p_values: Sequence[float]) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (J R Stat Soc B 1995;57:289); NaN entries stay NaN and do not count.

    adjusted p_(i) = min over j ≥ i of (m / j) · p_(j), capped at 1, for the sorted p-values p_(1) ≤ ... ≤ p_(m).

    Example:
        >>> benjamini_hochberg([0.01, 0.04, 0.03]).round(3).tolist()
        [0.03, 0.04, 0.04]
    """
    p = np.asarray(p_values, dtype=np.float64)
    adjusted = np.full(p.shape, np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    m = finite.size
    if m == 0:
        return adjusted
    order = finite[np.argsort(p[finite], kind="stable")]
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return adjusted


def concordance_correlation(x: Sequence[float], y: Sequence[float]) -> float:
    """Lin's concordance correlation coefficient (Biometrics 1989;45:255): agreement of y with x on the identity line.

    ρc = 2·s_xy / (s_x² + s_y² + (x̄ − ȳ)²) with 1/n moments, as in Lin's paper. 1 = identical, 0 = no agreement.
    Two identical constant series give 1; fewer than two pairs give NaN.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"paired series need the same length, got {x.size} and {y.size}")
    if x.size < 2:
        return math.nan
    covariance = np.mean((x - x.mean()) * (y - y.mean()))
    denominator = x.var() + y.var() + (x.mean() - y.mean()) ** 2
    if denominator == 0:
        return 1.0
    return float(2 * covariance / denominator)


def _paired_tests(method: np.ndarray, baseline: np.ndarray) -> tuple[float, float, float, float]:
    """(t, p) of the paired t-test and (W, p) of Wilcoxon signed-rank; identical series → p = 1, no test."""
    if method.size < 2:
        return math.nan, math.nan, math.nan, math.nan
    differences = method - baseline
    if np.all(differences == 0):
        return 0.0, 1.0, 0.0, 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a constant shift gives t = ±inf, p = 0: that is the answer
        t_result = stats.ttest_rel(method, baseline)
        try:
            w_result = stats.wilcoxon(method, baseline)
            wilcoxon = (float(w_result.statistic), float(w_result.pvalue))
        except ValueError:
            wilcoxon = (math.nan, math.nan)
    return float(t_result.statistic), float(t_result.pvalue), *wilcoxon


def _series(values: dict[str, dict[str, list[float]]], method: str, feature: str) -> np.ndarray:
    if feature not in values[method]:
        raise CtDenoiseError(f"method '{method}' has no values for feature '{feature}'")
    return np.asarray(values[method][feature], dtype=np.float64)


def paired_feature_tests(
    values: dict[str, dict[str, list[float]]],
    baseline: str,
    reference: str | None = None,
    alpha: float = 0.05,
) -> list[dict]:
    """Per feature and method: paired t-test and Wilcoxon vs ``baseline``, BH correction, CCC vs ``reference``.

    Args:
        values: method → feature → one value per nodule, the nodules in the same order for every method.
        baseline: the method every other method is tested against (the seed uses SRResNet FP32).
        reference: method taken as truth for the CCC (the full-dose scan), or ``None`` for no CCC.
        alpha: significance level; ``significant`` uses the raw p-value (as the seed), ``significant_bh`` the
            Benjamini–Hochberg adjusted one (over all features of that method).

    Returns:
        Rows with the keys of ``TEST_COLUMNS``, one per (method ≠ baseline, feature). Nodules with a non-finite value
        in either series are left out of that feature's tests (``n`` says how many remain).

    Example:
        >>> values = {"srresnet": {"firstorder_Mean": [-40.0, -35.0, 10.0]},
        ...           "stresnet": {"firstorder_Mean": [-39.0, -34.0, 11.0]}}
        >>> paired_feature_tests(values, baseline="srresnet")[0]["p_value"]
        0.0
    """
    for name in (baseline, reference):
        if name is not None and name not in values:
            raise CtDenoiseError(f"method '{name}' not found; methods are {', '.join(values)}")
    features = list(values[baseline])
    rows = []
    for method in values:
        if method == baseline:
            continue
        method_rows = []
        for feature in features:
            method_values, baseline_values = _series(values, method, feature), _series(values, baseline, feature)
            if method_values.shape != baseline_values.shape:
                raise CtDenoiseError(
                    f"feature '{feature}': {method_values.size} values for '{method}' but {baseline_values.size} "
                    f"for '{baseline}'; every method needs one value per nodule"
                )
            keep = np.isfinite(method_values) & np.isfinite(baseline_values)
            t_statistic, p_value, w_statistic, w_p_value = _paired_tests(method_values[keep], baseline_values[keep])
            ccc = math.nan
            if reference is not None:
                reference_values = _series(values, reference, feature)
                both = np.isfinite(method_values) & np.isfinite(reference_values)
                ccc = concordance_correlation(reference_values[both], method_values[both])
            method_rows.append(
                {
                    "method": method,
                    "feature": feature,
                    "family": feature_family(feature),
                    "n": int(keep.sum()),
                    "mean_baseline": float(np.mean(baseline_values[keep])) if keep.any() else math.nan,
                    "mean_method": float(np.mean(method_values[keep])) if keep.any() else math.nan,
                    "mean_difference": float(np.mean(method_values[keep] - baseline_values[keep]))
                    if keep.any()
                    else math.nan,
                    "t_statistic": t_statistic,
                    "p_value": p_value,
                    "significant": bool(p_value < alpha),
                    "wilcoxon_statistic": w_statistic,
                    "wilcoxon_p_value": w_p_value,
                    "ccc_vs_reference": ccc,
                }
            )
        adjusted = benjamini_hochberg([row["p_value"] for row in method_rows])
        for row, p_bh in zip(method_rows, adjusted, strict=True):
            row["p_value_bh"] = float(p_bh)
            row["significant_bh"] = bool(p_bh < alpha)
        rows.extend({column: row[column] for column in TEST_COLUMNS} for row in method_rows)
    return rows


def write_rows_csv(rows: list[dict], path: Path | str, overwrite: bool = False) -> Path:
    """Write dict rows (same keys) to a CSV file, atomically; refuses to replace a file without ``overwrite``."""
    path = Path(path)
    refuse_to_clobber(path, overwrite)
    if not rows:
        raise CtDenoiseError(f"{path}: nothing to write")
    columns = list(rows[0])
    with atomic_path(path) as temporary, temporary.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path
