import numpy as np
import pytest

from ctdenoise.errors import CtDenoiseError
from ctdenoise.metrics.window import parse_window_hu, window_to_signed_unit, window_to_unit


def test_window_clips_and_maps_linearly_to_unit_range():
    hu = np.array([-3024.0, -1000.0, -625.0, 500.0, 1900.0])
    np.testing.assert_allclose(window_to_unit(hu, (-1000, 500)), [0.0, 0.0, 0.25, 1.0, 1.0])


def test_signed_window_maps_the_window_centre_to_zero():
    np.testing.assert_allclose(window_to_signed_unit(np.array([-1000.0, -250.0, 500.0])), [-1.0, 0.0, 1.0])


def test_parse_window_reads_low_high_and_rejects_bad_text():
    assert parse_window_hu("-1000,500") == (-1000.0, 500.0)
    for text in ("500,-1000", "-1000", "a,b"):
        with pytest.raises(CtDenoiseError, match="window"):
            parse_window_hu(text)
