"""Figure 1 (nodule ROI panel) is written from volumes on different grids."""

from __future__ import annotations

import matplotlib.image
import numpy as np
import pytest

from ctdenoise.errors import CtDenoiseError
from ctdenoise.figures import plot_nodule_panel
from ctdenoise.volume import Volume


def test_nodule_panel_shows_every_image(tmp_path):
    z, y, x = np.indices((16, 48, 48))
    nodule = (z - 8) ** 2 + (y - 20) ** 2 + (x - 26) ** 2 <= 16
    full_dose = Volume(np.where(nodule, 20.0, -850.0), spacing_mm=(1.0, 0.7, 0.7))
    noise = np.random.default_rng(0).normal(0, 80, (8, 48, 48))
    low_dose = Volume(full_dose.hu[::2] + noise, spacing_mm=(2.0, 0.7, 0.7), origin_mm=(0.0, 0.0, 0.5))
    images = {"low dose": low_dose, "SRResNet": full_dose.with_array(full_dose.hu + 5), "full dose": full_dose}
    path = plot_nodule_panel(
        images, full_dose.with_array(nodule.astype(np.float32), modality="SEG"), tmp_path / "f1.png"
    )
    image = matplotlib.image.imread(path)
    assert image.shape[1] > image.shape[0] > 100  # a row of panels
    assert np.unique(image.reshape(-1, image.shape[2]), axis=0).shape[0] > 10
    with pytest.raises(CtDenoiseError, match="no nodule 7"):
        plot_nodule_panel(images, full_dose.with_array(nodule.astype(np.float32)), tmp_path / "x.png", nodule=7)
