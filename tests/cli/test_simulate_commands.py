import numpy as np
import pytest

from ctdenoise.cli.main import main
from ctdenoise.io import read_volume, write_volume
from ctdenoise.volume import Volume


def _write_input(path, spacing_z_mm=1.0):
    yy, xx = np.mgrid[:48, :48] - 23.5
    body = np.where(xx**2 + yy**2 < 20**2, 40.0, -1000.0).astype(np.float32)
    volume = Volume(np.repeat(body[None], 4, axis=0), spacing_mm=(spacing_z_mm, 2.0, 2.0), origin_mm=(0, 0, 0))
    write_volume(volume, path)
    return volume


def _run(arguments) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main([str(argument) for argument in arguments])
    return exit_info.value.code


def test_simulate_writes_a_2_mm_low_dose_volume_and_refuses_to_clobber(tmp_path, capsys):
    source = tmp_path / "full.nii.gz"
    _write_input(source)
    target = tmp_path / "low.nii.gz"
    arguments = ["simulate", source, target, "--dose", "0.1", "--seed", "3", "--no-progress"]
    assert _run(arguments) == 0
    low = read_volume(target)
    assert low.shape == (2, 48, 48)
    assert low.spacing_mm[0] == 2.0
    assert low.origin_mm[2] == 0.5
    assert _run(arguments) == 2
    assert "already exists" in capsys.readouterr().err


def test_slice_thickness_that_does_not_divide_is_refused(tmp_path, capsys):
    source = tmp_path / "thick.nii.gz"
    _write_input(source, spacing_z_mm=3.0)
    assert _run(["simulate", source, tmp_path / "out.nii.gz", "--no-progress"]) == 2
    error = capsys.readouterr().err
    assert "thick.nii.gz" in error and "cannot make 2 mm slices from 3 mm slices" in error
    assert not (tmp_path / "out.nii.gz").exists()


@pytest.mark.parametrize("bad_value", [np.nan, np.inf])
def test_non_finite_input_is_refused_naming_the_file_and_nothing_is_written(tmp_path, capsys, bad_value):
    source = tmp_path / "broken.nii.gz"
    volume = _write_input(source)
    hu = volume.hu.copy()
    hu[2, 10, 11] = bad_value
    write_volume(volume.with_array(hu), source, overwrite=True)
    target = tmp_path / "low.nii.gz"
    assert _run(["simulate", source, target, "--no-progress"]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"ctdenoise: error: {source}: holds 1 non-finite value(s)")
    assert "(2, 10, 11)" in error and error.count("\n") == 1
    assert not target.exists()


def test_a_lost_partial_slab_is_reported_on_stderr(tmp_path, capsys):
    source = tmp_path / "odd.nii.gz"
    volume = _write_input(source)
    write_volume(volume.with_array(np.concatenate([volume.hu, volume.hu[:1]])), source, overwrite=True)  # 5 × 1 mm
    assert _run(["simulate", source, tmp_path / "low.nii.gz", "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert "note: " in captured.err and "the last 1 of 5 slices (1 mm)" in captured.err
    assert "note:" not in captured.out
