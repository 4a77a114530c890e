"""Volume's one-line repr: what a user sees in a notebook or a traceback."""

import numpy as np

from ctdenoise.volume import Volume


def test_repr_is_one_short_line_without_the_array_or_metadata():
    hu = np.full((3, 600, 600), 40.0, dtype=np.float32)
    hu[0, 0, 0] = -1024.0
    volume = Volume(hu, spacing_mm=(2.5, 0.7, 0.7), metadata={"dicom_header": "x" * 100_000})
    text = repr(volume)
    assert "\n" not in text and len(text) < 200
    assert "3×600×600" in text and "2.5×0.7×0.7 mm" in text and "HU -1024…40" in text


def test_repr_of_an_all_nan_volume_says_so():
    assert "no finite HU" in repr(Volume(np.full((1, 2, 2), np.nan)))
