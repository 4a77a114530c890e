"""Figure 2 (radiomics heat map) is written, is a real image, and counts consistent features per method."""

from __future__ import annotations

import matplotlib.image
import numpy as np
import pytest

from ctdenoise.errors import CtDenoiseError
from ctdenoise.figures import plot_radiomics_heatmap
from ctdenoise.figures.radiomics_heatmap import _feature_order


def heatmap_rows(
    methods=("stresnet_fp32", "stresnet_int8"),
    features=("glcm_Contrast", "firstorder_Mean", "glszm_ZoneEntropy", "glrlm_RunEntropy"),
):
    family = {"glcm": "GLCM", "firstorder": "First-Order", "glszm": "GLSZM", "glrlm": "GLRLM"}
    return [
        {
            "method": method,
            "feature": feature,
            "family": family[feature.split("_")[0]],
            "p_value": 0.01 if (m + f) % 3 == 0 else 0.5,
            "significant": (m + f) % 3 == 0,
            "significant_bh": False,
        }
        for m, method in enumerate(methods)
        for f, feature in enumerate(features)
    ]


def test_heatmap_is_written_as_a_non_empty_png(tmp_path):
    path = plot_radiomics_heatmap(heatmap_rows(), tmp_path / "figure2.png")
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    assert np.unique(image.reshape(-1, image.shape[2]), axis=0).shape[0] > 10  # not a blank canvas
    with pytest.raises(CtDenoiseError, match="already exists"):
        plot_radiomics_heatmap(heatmap_rows(), path)
    assert plot_radiomics_heatmap(heatmap_rows(), tmp_path / "figure2.pdf").stat().st_size > 1000


def test_features_are_grouped_by_family_in_paper_order():
    assert _feature_order(heatmap_rows()) == [
        "firstorder_Mean",
        "glcm_Contrast",
        "glrlm_RunEntropy",
        "glszm_ZoneEntropy",
    ]


def test_empty_rows_are_refused(tmp_path):
    with pytest.raises(CtDenoiseError, match="no test rows"):
        plot_radiomics_heatmap([], tmp_path / "empty.png")
