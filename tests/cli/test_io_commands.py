"""``ctdenoise info`` and ``ctdenoise convert``: output formats, clobber protection, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import nibabel as nib
import numpy as np
import pytest

from ctdenoise.cli.main import main


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run the real entry point (with its error handling) in-process; (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in args])
    captured = capsys.readouterr()
    return exit_info.value.code or 0, captured.out, captured.err


@pytest.fixture
def nifti(tmp_path):
    """A 4 × 5 × 6 CT written by nibabel: RAS affine diag(−0.7, −0.8, 1.25) → LPS spacing (1.25, 0.8, 0.7)."""
    data_xyz = np.arange(6 * 5 * 4, dtype=np.int16).reshape(6, 5, 4) * 10 - 1000
    affine = np.array([[-0.7, 0, 0, 30.0], [0, -0.8, 0, 45.5], [0, 0, 1.25, -200.0], [0, 0, 0, 1]])
    path = tmp_path / "ct.nii.gz"
    nib.save(nib.Nifti1Image(data_xyz, affine), path)
    return path


def test_info_json_has_exactly_the_documented_keys(capsys, nifti):
    code, out, _ = run_cli(capsys, "info", nifti, "--json")
    assert code == 0
    summary = json.loads(out)
    assert set(summary) == {"shape_zyx", "spacing_mm_zyx", "origin_mm", "hu_min", "hu_max", "padding_hu"}
    assert summary["shape_zyx"] == [4, 5, 6]
    assert summary["spacing_mm_zyx"] == pytest.approx([1.25, 0.8, 0.7])
    assert summary["origin_mm"] == pytest.approx([-30.0, -45.5, -200.0])  # RAS (30, 45.5) → LPS (−30, −45.5)
    assert (summary["hu_min"], summary["hu_max"]) == (-1000.0, 190.0)


def test_info_reports_the_hu_range_inside_the_field_of_view_and_the_padding_value_apart(capsys, tmp_path):
    # A scanner image: −3024 HU outside the circular field of view, air (−1000) to bone (1500) inside.
    yy, xx = np.mgrid[:32, :32] - 15.5
    inside = xx**2 + yy**2 < 15**2
    hu_xy = np.where(inside, np.linspace(-1000, 1500, 32)[None, :] * np.ones((32, 1)), -3024.0).astype(np.int16)
    nib.save(nib.Nifti1Image(np.repeat(hu_xy.T[:, :, None], 3, axis=2), np.eye(4)), tmp_path / "s.nii")
    summary = json.loads(run_cli(capsys, "info", tmp_path / "s.nii", "--json")[1])
    assert summary["padding_hu"] == -3024.0
    assert summary["hu_min"] == pytest.approx(hu_xy[inside].min()) and summary["hu_max"] == pytest.approx(
        hu_xy[inside].max()
    )
    assert summary["hu_min"] > -1024.0
    out = run_cli(capsys, "info", tmp_path / "s.nii")[1]
    assert "padding value:        -3024 HU (outside the field of view)" in out


def test_info_text_shows_geometry_and_modality(capsys, lung1_dir):
    code, out, _ = run_cli(capsys, "info", lung1_dir / "dicom")
    assert code == 0
    assert "134 × 512 × 512" in out and "3 × 0.976562 × 0.976562" in out
    assert "-1024 / 3034" in out and "modality:             CT" in out


def test_convert_nifti_to_dicom_and_back_keeps_hu_and_geometry(capsys, tmp_path, nifti):
    assert run_cli(capsys, "convert", nifti, tmp_path / "series")[0] == 0
    assert len(list((tmp_path / "series").glob("*.dcm"))) == 4
    assert run_cli(capsys, "convert", tmp_path / "series", tmp_path / "back.nrrd")[0] == 0

    original, back = (json.loads(run_cli(capsys, "info", p, "--json")[1]) for p in (nifti, tmp_path / "back.nrrd"))
    for key, value in original.items():
        assert back[key] == pytest.approx(value), key
    np.testing.assert_array_equal(
        nib.load(nifti).get_fdata().transpose(2, 1, 0),
        _nrrd_array(tmp_path / "back.nrrd"),
    )


def _nrrd_array(path):
    import SimpleITK as sitk

    return sitk.GetArrayFromImage(sitk.ReadImage(str(path)))


def test_convert_refuses_to_clobber_without_overwrite(capsys, tmp_path, nifti):
    out = tmp_path / "out.mha"
    out.write_text("keep me")
    code, _, err = run_cli(capsys, "convert", nifti, out)
    assert code == 2
    assert err.strip() == f"ctdenoise: error: {out}: already exists; pass --overwrite to replace it"
    assert out.read_text() == "keep me"
    assert run_cli(capsys, "convert", nifti, out, "--overwrite")[0] == 0
    assert out.stat().st_size > len("keep me")


def test_convert_never_writes_over_its_input(capsys, tmp_path, nifti):
    before = nifti.read_bytes()
    code, _, err = run_cli(capsys, "convert", nifti, nifti, "--overwrite")
    assert code == 2 and "output would overwrite the input" in err
    code, _, err = run_cli(capsys, "convert", nifti, tmp_path, "--overwrite")  # the folder holding IN
    assert code == 2 and "output folder holds the input" in err
    assert nifti.read_bytes() == before


def test_convert_refuses_to_write_inside_a_dicom_input_folder(capsys, tmp_path, nifti):
    run_cli(capsys, "convert", nifti, tmp_path / "series")
    code, _, err = run_cli(capsys, "convert", tmp_path / "series", tmp_path / "series" / "ct.nii.gz")
    assert code == 2 and "inside the input folder" in err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["info", "missing.nii.gz"], "missing.nii.gz: no such file or folder"),
        (["info", "broken.nii.gz"], "broken.nii.gz: cannot read as a 3D image"),
        (["convert", "broken.nii.gz", "out.nrrd"], "broken.nii.gz: cannot read as a 3D image"),
        (["info", "empty"], "empty: empty folder, no DICOM files found"),
        (["convert", "empty", "out.png"], "out.png: unsupported output format"),
    ],
)
def test_bad_input_gives_one_line_and_exit_code_2(capsys, monkeypatch, tmp_path, arguments, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broken.nii.gz").write_bytes(b"this is no image")
    (tmp_path / "empty").mkdir()
    code, _, err = run_cli(capsys, *arguments)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("ctdenoise: error: ") and message in err
    assert not (tmp_path / "out.nrrd").exists()


def test_console_command_prints_no_traceback(tmp_path):
    (tmp_path / "broken.nii.gz").write_bytes(b"this is no image")
    completed = subprocess.run(
        [sys.executable, "-m", "ctdenoise", "convert", "broken.nii.gz", "out.nrrd"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert completed.stderr.startswith("ctdenoise: error: broken.nii.gz: cannot read as a 3D image")
    assert completed.stderr.count("\n") == 1
    assert not (tmp_path / "out.nrrd").exists()
