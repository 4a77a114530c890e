"""Paired tests, Benjamini–Hochberg and Lin's CCC against scipy and closed-form answers."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from scipy import stats

from ctdenoise.errors import CtDenoiseError
from ctdenoise.radiomics.stats import (
    TEST_COLUMNS,
    benjamini_hochberg,
    concordance_correlation,
    paired_feature_tests,
    write_rows_csv,
)


@pytest.fixture
def nodule_values() -> dict[str, dict[str, list[float]]]:
    rng = np.random.default_rng(7)
    baseline_mean = rng.normal(-50, 80, 12)
    baseline_contrast = rng.gamma(2.0, 3.0, 12)
    noisy = baseline_mean + rng.normal(0, 20, 12)
    return {
        "srresnet_fp32": {"firstorder_Mean": baseline_mean.tolist(), "glcm_Contrast": baseline_contrast.tolist()},
        "shifted": {"firstorder_Mean": (baseline_mean + 15).tolist(), "glcm_Contrast": baseline_contrast.tolist()},
        "noisy": {"firstorder_Mean": noisy.tolist(), "glcm_Contrast": (baseline_contrast * 1.01).tolist()},
        "full_dose": {"firstorder_Mean": baseline_mean.tolist(), "glcm_Contrast": baseline_contrast.tolist()},
    }


def rows_by(rows, method, feature):
    (row,) = [r for r in rows if r["method"] == method and r["feature"] == feature]
    return row


def test_constant_shift_is_significant_and_identical_values_are_not(nodule_values):
    rows = paired_feature_tests(nodule_values, baseline="srresnet_fp32")
    shifted = rows_by(rows, "shifted", "firstorder_Mean")
    assert shifted["p_value"] == 0.0 and shifted["significant"] and shifted["significant_bh"]
    assert shifted["mean_difference"] == pytest.approx(15.0)
    # Wilcoxon, all 12 differences positive: exact two-sided p = 2 / 2**12.
    assert shifted["wilcoxon_p_value"] == pytest.approx(2 / 2**12)
    same = rows_by(rows, "shifted", "glcm_Contrast")
    assert same["p_value"] == 1.0 and not same["significant"] and not same["significant_bh"]
    assert {r["method"] for r in rows} == {"shifted", "noisy", "full_dose"}
    assert all(list(r) == list(TEST_COLUMNS) for r in rows)


def test_t_test_and_wilcoxon_agree_with_scipy(nodule_values):
    rows = paired_feature_tests(nodule_values, baseline="srresnet_fp32")
    row = rows_by(rows, "noisy", "firstorder_Mean")
    method, baseline = nodule_values["noisy"]["firstorder_Mean"], nodule_values["srresnet_fp32"]["firstorder_Mean"]
    expected_t = stats.ttest_rel(method, baseline)
    expected_w = stats.wilcoxon(method, baseline)
    assert row["t_statistic"] == pytest.approx(expected_t.statistic)
    assert row["p_value"] == pytest.approx(expected_t.pvalue)
    assert row["wilcoxon_p_value"] == pytest.approx(expected_w.pvalue)
    assert row["n"] == 12


def test_ccc_column_compares_each_method_with_the_reference(nodule_values):
    rows = paired_feature_tests(nodule_values, baseline="srresnet_fp32", reference="full_dose")
    assert rows_by(rows, "full_dose", "firstorder_Mean")["ccc_vs_reference"] == pytest.approx(1.0)
    assert rows_by(rows, "noisy", "firstorder_Mean")["ccc_vs_reference"] < 1.0


def test_non_finite_values_are_left_out_of_that_feature(nodule_values):
    nodule_values["noisy"]["glcm_Contrast"][3] = math.nan
    rows = paired_feature_tests(nodule_values, baseline="srresnet_fp32")
    assert rows_by(rows, "noisy", "glcm_Contrast")["n"] == 11
    assert rows_by(rows, "noisy", "firstorder_Mean")["n"] == 12


def test_unknown_baseline_and_unequal_lengths_are_clear_errors(nodule_values):
    with pytest.raises(CtDenoiseError, match="no_such"):
        paired_feature_tests(nodule_values, baseline="no_such")
    nodule_values["noisy"]["firstorder_Mean"].pop()
    with pytest.raises(CtDenoiseError, match="one value per nodule"):
        paired_feature_tests(nodule_values, baseline="srresnet_fp32")


def test_benjamini_hochberg_matches_scipy():
    rng = np.random.default_rng(3)
    p_values = np.concatenate([rng.uniform(0, 1, 60), rng.uniform(0, 0.01, 14), [0.05, 0.05, 1.0]])
    assert benjamini_hochberg(p_values) == pytest.approx(stats.false_discovery_control(p_values, method="bh"))


def test_benjamini_hochberg_ignores_nan():
    p_values = np.array([0.01, np.nan, 0.04, 0.03])
    adjusted = benjamini_hochberg(p_values)
    assert math.isnan(adjusted[1])
    finite = [0, 2, 3]
    assert adjusted[finite] == pytest.approx(stats.false_discovery_control(p_values[finite], method="bh"))


@pytest.mark.parametrize(
    ("y_of_x", "expected"),
    [
        (lambda x: x, 1.0),
        (lambda x: 6 - x, -1.0),  # mirror image about the common mean 3
        (lambda x: x + 2, 4 / (4 + 4)),  # 2 s_x² / (2 s_x² + c²), s_x² = 2
        (lambda x: 2 * x, 8 / (2 + 8 + 9)),  # 2·cov / (s_x² + s_y² + (3 − 6)²)
    ],
)
def test_concordance_correlation_closed_forms(y_of_x, expected):
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert concordance_correlation(x, y_of_x(x)) == pytest.approx(expected)


def test_concordance_is_at_most_pearson():
    rng = np.random.default_rng(1)
    x = rng.normal(size=50)
    y = 0.5 * x + 1 + rng.normal(scale=0.2, size=50)
    assert concordance_correlation(x, y) < stats.pearsonr(x, y).statistic


def test_rows_are_written_as_csv_and_not_clobbered(tmp_path, nodule_values):
    rows = paired_feature_tests(nodule_values, baseline="srresnet_fp32", reference="full_dose")
    path = write_rows_csv(rows, tmp_path / "tests.csv")
    with path.open(newline="") as handle:
        read_back = list(csv.DictReader(handle))
    assert len(read_back) == len(rows) and list(read_back[0]) == list(TEST_COLUMNS)
    with pytest.raises(CtDenoiseError, match="already exists"):
        write_rows_csv(rows, path)
