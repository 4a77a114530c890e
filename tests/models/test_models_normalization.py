"""HU normalisation: the stated mapping (air −1, water 0, 1 unit = 1000 HU), clipping, round trip."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ctdenoise.errors import CtDenoiseError
from ctdenoise.models import HUNormalization


def test_air_water_and_clipping() -> None:
    norm = HUNormalization()
    hu = np.array([-2000.0, -1000.0, 0.0, 500.0, 5000.0])
    np.testing.assert_allclose(norm.to_model(hu), [-1.024, -1.0, 0.0, 0.5, 3.071], rtol=1e-6)


def test_round_trip_inside_the_clip_range_for_arrays_and_tensors() -> None:
    norm = HUNormalization()
    hu = np.linspace(-1024, 3071, 101, dtype=np.float32)
    np.testing.assert_allclose(norm.to_hu(norm.to_model(hu)), hu, atol=1e-3)
    as_tensor = norm.to_hu(norm.to_model(torch.from_numpy(hu)))
    assert isinstance(as_tensor, torch.Tensor)
    np.testing.assert_allclose(as_tensor.numpy(), hu, atol=1e-3)


def test_dict_round_trip_and_bad_records() -> None:
    norm = HUNormalization(clip_hu=(-1000, 1000), offset_hu=-24.0, scale_hu=500.0)
    assert HUNormalization.from_dict(norm.as_dict()) == norm
    with pytest.raises(CtDenoiseError):
        HUNormalization.from_dict({"clip_hu": [0, 1]})
    with pytest.raises(CtDenoiseError):
        HUNormalization(clip_hu=(100, -100))
