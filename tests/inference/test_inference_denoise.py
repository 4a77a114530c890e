import pickle
import shutil
import subprocess
import sys

import numpy as np
import pydicom
import pytest
import torch
from inference_helpers import TINY_Z1, TINY_Z2, ct_like_hu

from ctdenoise.errors import CtDenoiseError
from ctdenoise.inference import denoise_volume, load_inference_model, output_geometry
from ctdenoise.inference.loading import choose_runtime_precision
from ctdenoise.io import read_volume, write_volume
from ctdenoise.models import HUNormalization, build_model, save_model_file
from ctdenoise.volume import Volume


def test_z2_output_grid_has_half_the_spacing_and_the_same_extent_on_a_tilted_scan():
    angle = np.deg2rad(20)  # gantry tilt: the slice axis leans in the y–z plane
    direction = np.array([[1, 0, 0], [0, np.cos(angle), -np.sin(angle)], [0, np.sin(angle), np.cos(angle)]])
    volume = Volume(np.zeros((5, 4, 4)), spacing_mm=(3.0, 0.5, 0.5), origin_mm=(10.0, 20.0, 30.0), direction=direction)
    geometry = output_geometry(volume, 2)
    assert geometry["spacing_mm"] == (1.5, 0.5, 0.5)
    expected_origin = np.array([10.0, 20.0, 30.0]) - 0.75 * direction[:, 2]
    np.testing.assert_allclose(geometry["origin_mm"], expected_origin, atol=1e-9)
    # same extent: the outer slab faces of input and output coincide
    output = Volume(np.zeros((10, 4, 4)), direction=direction, **geometry)
    first_face_in = volume.index_to_lps(np.array([-0.5, 0, 0]))
    last_face_out = output.index_to_lps(np.array([9.5, 0, 0]))
    np.testing.assert_allclose(output.index_to_lps(np.array([-0.5, 0, 0])), first_face_in, atol=1e-9)
    np.testing.assert_allclose(volume.index_to_lps(np.array([4.5, 0, 0])), last_face_out, atol=1e-9)


def test_z1_model_keeps_the_input_grid_and_metadata(tiny_z1_model_file):
    volume = Volume(ct_like_hu((6, 20, 20)), spacing_mm=(2.5, 0.9, 0.9), origin_mm=(1, 2, 3), metadata={"k": "v"})
    denoised = denoise_volume(volume, tiny_z1_model_file, progress=False)
    assert denoised.same_grid_as(volume) and denoised.metadata["k"] == "v"
    assert denoised.metadata["ctdenoise_inference"]["arch"] == "srresnet"


def test_dicom_in_gives_a_derived_dicom_series_of_the_same_study_out(tmp_path, lung1_dir, tiny_model_file):
    headers = [pydicom.dcmread(path, stop_before_pixels=True) for path in sorted((lung1_dir / "dicom").glob("*.dcm"))]
    row, column = (np.asarray(headers[0].ImageOrientationPatient[i : i + 3], float) for i in (0, 3))
    normal = np.cross(row, column)
    headers.sort(key=lambda header: float(np.dot(np.asarray(header.ImagePositionPatient, float), normal)))
    source = tmp_path / "source"
    source.mkdir()
    for header in headers[:3]:
        shutil.copy(header.filename, source)
    volume = read_volume(source)
    small = volume.with_array(volume.hu[:, 200:232, 200:232].copy())
    small.origin_mm = tuple(volume.index_to_lps(np.array([0, 200, 200])))

    denoised = denoise_volume(small, tiny_model_file, "fp32", "torch", progress=False)
    write_volume(denoised, tmp_path / "denoised")

    written = sorted(
        (pydicom.dcmread(path) for path in (tmp_path / "denoised").iterdir()),
        key=lambda ds: float(np.dot(np.asarray(ds.ImagePositionPatient, float), normal)),
    )
    assert len(written) == 6
    row_spacing_mm, column_spacing_mm = (float(v) for v in headers[0].PixelSpacing)
    first_in = np.asarray(headers[0].ImagePositionPatient, float) + 200 * (
        column_spacing_mm * row + row_spacing_mm * column
    )
    expected_first_out = first_in - 0.75 * normal  # 3 mm → 1.5 mm: first centre moves back by 3/2 − 1.5/2
    np.testing.assert_allclose(np.asarray(written[0].ImagePositionPatient, float), expected_first_out, atol=1e-3)
    steps = np.diff([np.dot(np.asarray(ds.ImagePositionPatient, float), normal) for ds in written])
    np.testing.assert_allclose(steps, 1.5, atol=1e-3)
    assert {ds.StudyInstanceUID for ds in written} == {headers[0].StudyInstanceUID}
    assert {ds.FrameOfReferenceUID for ds in written} == {headers[0].FrameOfReferenceUID}
    assert written[0].SeriesInstanceUID != headers[0].SeriesInstanceUID
    assert "DERIVED" in written[0].ImageType
    assert written[0].SeriesDescription.endswith("ctdenoise stresnet fp32")


class NotAModel:
    pass


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_bad_model_files_are_rejected_with_a_message_naming_the_file(tmp_path, low_dose_volume):
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"PK\x03\x04 definitely not a zip archive")
    wrong_arch = tmp_path / "wrong_arch.pt"
    save_model_file(wrong_arch, build_model(TINY_Z2), TINY_Z1, HUNormalization())  # STResNet weights, SRResNet config
    pickled = tmp_path / "pickled.pt"
    torch.save({"format": "ctdenoise-model", "payload": NotAModel()}, pickled)
    plain_pickle = tmp_path / "plain.pt"
    plain_pickle.write_bytes(pickle.dumps(NotAModel()))
    no_description = tmp_path / "folder"
    no_description.mkdir()
    for path in (corrupt, wrong_arch, pickled, plain_pickle, no_description, tmp_path / "missing.pt"):
        with pytest.raises(CtDenoiseError) as error:
            denoise_volume(low_dose_volume, path, progress=False)
        assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_incomplete_model_folder_is_rejected(tmp_path, tiny_int8_folder):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_int8_folder, broken)
    (broken / "model_int8.bin").unlink()
    with pytest.raises(CtDenoiseError, match="model_int8.bin is missing"):
        load_inference_model(broken)


def test_int8_from_a_plain_checkpoint_asks_for_quantize(tiny_model_file, low_dose_volume):
    with pytest.raises(CtDenoiseError, match="ctdenoise quantize"):
        denoise_volume(low_dose_volume, tiny_model_file, "int8", "openvino", progress=False)


def test_defaults_prefer_openvino_int8_and_name_the_fallback(tiny_model_file, tiny_int8_folder):
    assert choose_runtime_precision(load_inference_model(tiny_int8_folder)) == ("openvino", "int8", None)
    runtime, precision, note = choose_runtime_precision(load_inference_model(tiny_model_file))
    assert runtime == "openvino" and precision in ("bf16", "fp32")
    assert f"openvino {precision}" in note and "ctdenoise quantize" in note
    assert choose_runtime_precision(load_inference_model(tiny_model_file), runtime="torch")[:2] in (
        ("torch", "bf16"),
        ("torch", "fp32"),
    )


def test_a_coronal_stack_is_denoised_and_upsampled_along_the_patients_head_feet_axis(tiny_model_file):
    axial = Volume(ct_like_hu((6, 16, 16)), spacing_mm=(2.0, 0.8, 0.8), origin_mm=(-5.0, 3.0, 40.0))
    # The same voxels stored as coronal slices: array (A–P, S–I, R–L); S–I runs along the rows.
    coronal = Volume(
        np.ascontiguousarray(axial.hu.transpose(1, 0, 2)),
        spacing_mm=(0.8, 2.0, 0.8),
        origin_mm=axial.origin_mm,
        direction=np.column_stack([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]),
    )
    from_axial = denoise_volume(axial, tiny_model_file, progress=False)
    from_coronal = denoise_volume(coronal, tiny_model_file, progress=False)
    assert from_axial.shape == (12, 16, 16) and from_coronal.shape == (16, 12, 16)  # z×2 along S–I in both
    np.testing.assert_allclose(from_coronal.hu, from_axial.hu.transpose(1, 0, 2), atol=1e-4)
    for index in [(0, 0, 0), (11, 5, 7)]:
        np.testing.assert_allclose(
            from_coronal.index_to_lps((index[1], index[0], index[2])), from_axial.index_to_lps(index), atol=1e-6
        )


def test_openvino_denoising_with_a_builtin_does_not_import_torch():
    # Importing PyTorch takes ~1.5 s, a large share of denoising a whole scan with the INT8 built-in.
    script = (
        "import sys; import numpy as np; from ctdenoise.inference import denoise_volume; "
        "from ctdenoise.volume import Volume; "
        "denoise_volume(Volume(np.full((6, 32, 32), -500.0, np.float32)), None, z_scale=2, progress=False); "
        "print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_padding_outside_the_field_of_view_stays_padding_and_nothing_falls_below_air(tiny_model_file):
    # A scan whose corners (outside the circular field of view) hold −2048 HU padding, as GE and LIDC store them.
    hu = ct_like_hu((4, 24, 24))
    y, x = np.mgrid[:24, :24]
    outside = np.hypot(y - 11.5, x - 11.5) > 12
    hu[:, outside] = -2048.0
    volume = Volume(hu, spacing_mm=(2.0, 0.9, 0.9))
    denoised = denoise_volume(volume, tiny_model_file, "fp32", "torch", progress=False)
    assert denoised.shape == (8, 24, 24)
    assert np.all(denoised.hu[:, outside] == -2048.0)  # each input slice's padding covers its two output slices
    assert denoised.hu[:, ~outside].min() >= -1024.0  # a stored CT value, never below air's −1024 HU
