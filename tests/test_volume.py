"""Volume's one-line repr: what a user sees in a notebook or a traceback."""

import numpy as np
import pytest

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


def test_a_slab_keeps_its_slices_physical_positions_as_simpleitk_crops_them():
    # The independent reference: SimpleITK's slicing of the same image (its origin moves to the first kept slice).
    import SimpleITK as sitk

    direction = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, -1.0]])  # rotated and flipped along z
    volume = Volume(
        np.arange(10 * 3 * 4, dtype=np.float32).reshape(10, 3, 4),
        spacing_mm=(2.5, 0.7, 0.8),
        origin_mm=(12.0, -30.0, 100.0),
        direction=direction,
    )
    image = sitk.GetImageFromArray(volume.hu)
    image.SetSpacing(volume.spacing_mm[::-1])
    image.SetOrigin(volume.origin_mm)
    image.SetDirection(direction.ravel().tolist())
    slab = volume.slab(4, 7)
    np.testing.assert_allclose(slab.origin_mm, image[:, :, 4:7].GetOrigin(), atol=1e-9)
    np.testing.assert_array_equal(slab.hu, volume.hu[4:7])
    with pytest.raises(ValueError, match="slices 8…10 are not within the volume's 10 slices"):
        volume.slab(8, 11)
