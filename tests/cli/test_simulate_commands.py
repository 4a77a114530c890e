import json
import re

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


def _write_noisy_disk(path, sigma_hu=10.0, n_slices=4):
    """Water-like disk (40 HU) carrying independent white noise of known σ in every slice."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:128, :128] - 63.5
    body = np.where(xx**2 + yy**2 < 60**2, 40.0, -1000.0)
    slices = [body + rng.normal(0.0, sigma_hu, body.shape) for _ in range(n_slices)]
    write_volume(Volume(np.stack(slices), spacing_mm=(2.0, 1.0, 1.0)), path)


def test_noise_prints_sigma_and_nps_as_json_only_and_plots(tmp_path, capsys):
    source = tmp_path / "noisy.nii.gz"
    _write_noisy_disk(source, sigma_hu=10.0)
    plot = tmp_path / "nps.png"
    assert _run(["noise", source, "--json", "--plot", plot]) == 0
    summary = json.loads(capsys.readouterr().out)  # nothing but the JSON on stdout
    # White noise: σ as drawn (the quadratic detrend of 32² ROIs removes 6 of 1024 degrees of freedom).
    assert summary["noise_std_hu"] == pytest.approx(10.0, rel=0.05)
    assert summary["n_rois"] >= 12 and summary["n_candidate_rois"] >= summary["n_rois"]
    assert 0.0 < summary["mean_frequency_per_mm"] <= 0.5
    assert summary["radial_nps_hu2_mm2"][0] == 0.0  # the mean is detrended away: 0, not a rounding residue
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert _run(["noise", source, "--plot", plot]) == 2  # refuses to clobber the plot
    assert "already exists" in capsys.readouterr().err
    # --pairs, as in simulate (--slices stays an alias): one pair measures on one slice difference only.
    assert _run(["noise", source, "--json", "--pairs", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["n_slice_pairs"] == 1


def test_noise_without_flat_tissue_is_a_one_line_error(tmp_path, capsys):
    source = tmp_path / "lung.nii.gz"
    write_volume(Volume(np.full((3, 64, 64), -800.0), spacing_mm=(2.0, 1.0, 1.0)), source)
    assert _run(["noise", source]) == 2
    error = capsys.readouterr().err
    assert error.startswith("ctdenoise: error: ") and "lung.nii.gz: too little flat tissue" in error


def test_simulate_matches_an_nps_from_a_json_file_and_refuses_bad_kernels(tmp_path, capsys):
    source = tmp_path / "noisy.nii.gz"
    _write_noisy_disk(source)
    assert _run(["noise", source, "--json"]) == 0
    nps_json = tmp_path / "nps.json"
    nps_json.write_text(capsys.readouterr().out)
    target = tmp_path / "low.nii.gz"
    assert _run(["simulate", source, target, "--kernel", nps_json, "--slice-mm", "0", "--no-progress"]) == 0
    assert "matched to the given NPS" in capsys.readouterr().out
    assert read_volume(target).shape == (4, 128, 128)
    assert _run(["simulate", source, tmp_path / "x.nii.gz", "--kernel", "b70f", "--no-progress"]) == 2
    assert "--kernel b70f" in capsys.readouterr().err


def test_calibrating_a_noise_free_scan_is_refused_and_nothing_is_written(tmp_path, capsys):
    source = tmp_path / "clean.nii.gz"
    _write_input(source)
    target = tmp_path / "low.nii.gz"
    assert _run(["simulate", source, target, "--calibrate", "--no-progress"]) == 2
    assert "clean.nii.gz:" in capsys.readouterr().err
    assert not target.exists()


def test_a_bad_dose_is_refused_before_the_slow_kernel_fit(tmp_path, capsys, monkeypatch):
    import ctdenoise.simulate

    def no_fit(*arguments, **options):
        raise AssertionError("the kernel was fitted before the arguments were checked")

    monkeypatch.setattr(ctdenoise.simulate, "fit_noise_model", no_fit)
    source = tmp_path / "full.nii.gz"
    _write_input(source)
    assert _run(["simulate", source, tmp_path / "low.nii.gz", "--dose", "1.5", "--no-progress"]) == 2
    error = capsys.readouterr().err
    assert "--dose 1.5: dose fraction must be between 0 and 1" in error and len(error.strip().splitlines()) == 1
    assert _run(["simulate", source, tmp_path / "low.nii.gz", "--slice-mm", "1.5", "--no-progress"]) == 2
    assert "full.nii.gz" in capsys.readouterr().err


def test_simulate_writes_nothing_below_minus_1024_hu(tmp_path):
    source = tmp_path / "noisy.nii.gz"
    _write_noisy_disk(source, sigma_hu=30.0)
    scan = read_volume(source)
    write_volume(scan.with_array(np.maximum(scan.hu, -1024.0)), source, overwrite=True)  # as a scanner stores it
    target = tmp_path / "low.nii.gz"
    assert _run(["simulate", source, target, "--dose", "0.05", "--slice-mm", "0", "--no-progress"]) == 0
    low = read_volume(target).hu
    assert low.min() == -1024.0  # the noise in air reached below, and was clipped


def test_noise_on_the_rois_of_another_scan_gives_the_dose_ratio_of_two_versions_of_one_scan(tmp_path, capsys):
    # The same disk at "full dose" (σ 10 HU) and at "25 % dose" (the same noise pattern doubled, σ 20 HU): measured
    # on the full-dose scan's ROIs the σ ratio is the dose's, 2.
    full, low = tmp_path / "full.nii.gz", tmp_path / "low.nii.gz"
    _write_noisy_disk(full, sigma_hu=10.0)
    _write_noisy_disk(low, sigma_hu=20.0)
    assert _run(["noise", full, "--json"]) == 0
    full_summary = json.loads(capsys.readouterr().out)
    sigma_full = full_summary["noise_std_hu"]
    assert _run(["noise", low, "--rois-from", full, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["noise_std_hu"] / sigma_full == pytest.approx(2.0, rel=0.03) and summary["rois_from"] == str(full)
    # Both NPS carry the full-dose scan's ROI-choice correction, so they compare bin by bin (the ratio stays 4).
    assert summary["selection_bias_correction"] == pytest.approx(full_summary["selection_bias_correction"], abs=1e-3)
    assert summary["selection_bias_correction"][0] == 1.0  # zero frequency: no power, nothing corrected
    assert full_summary["selection_bias_correction"][1] > 1.0  # the test rejected part of the noise's own power
    assert _run(["noise", low, "--rois-from", full]) == 0
    assert re.search(
        r"ROI-choice bias: +NPS bins 1–2 × \d\.\d\d, \d\.\d\d .* on .*full\.nii\.gz\)", capsys.readouterr().out
    )
    # The global noise level is the low-dose scan's own too, not the full-dose scan's it borrowed the ROIs from.
    ratio = summary["global_noise_level_hu"] / full_summary["global_noise_level_hu"]
    assert ratio == pytest.approx(2.0, rel=0.03)
    other = tmp_path / "other.nii.gz"
    write_volume(Volume(np.zeros((4, 64, 64), np.float32), spacing_mm=(2.0, 1.0, 1.0)), other)
    assert _run(["noise", low, "--rois-from", other]) == 2
    error = capsys.readouterr().err
    assert "low.nii.gz: not on the grid of" in error and len(error.strip().splitlines()) == 1


def test_a_nifti_output_gets_a_json_sidecar_recording_how_it_was_simulated_and_never_clobbers_one(tmp_path, capsys):
    source = tmp_path / "full.nii.gz"
    _write_input(source)
    target = tmp_path / "low.nii.gz"
    assert _run(["simulate", source, target, "--dose", "0.25", "--seed", "3", "--photons", "1e5", "--no-progress"]) == 0
    record = json.loads((tmp_path / "low.json").read_text())
    simulation = record["simulation"]
    assert record["image"] == "low.nii.gz" and simulation["dose_fraction"] == 0.25 and simulation["seed"] == 3
    assert simulation["full_dose_photons"] == 1e5 and "noise_kernel" in simulation
    assert simulation["relative_flux_by_slice"] == [1.0] * 4  # one per input slice, also without a z-profile
    assert "0.25 of the source dose" in record["derivation_description"]
    # A sidecar already there (someone's notes) is refused before any work, like the image itself.
    other = tmp_path / "other.json"
    other.write_text("mine")
    capsys.readouterr()
    assert _run(["simulate", source, tmp_path / "other.nii.gz", "--no-progress"]) == 2
    assert "other.json: already exists" in capsys.readouterr().err
    assert other.read_text() == "mine" and not (tmp_path / "other.nii.gz").exists()


def test_an_unknown_output_format_is_refused_before_any_simulation(tmp_path, capsys, monkeypatch):
    import ctdenoise.simulate

    def never(*args, **kwargs):
        raise AssertionError("simulated before the output path was checked")

    monkeypatch.setattr(ctdenoise.simulate, "simulate_low_dose", never)
    monkeypatch.setattr(ctdenoise.simulate, "fit_noise_model", never)
    source = tmp_path / "full.nii.gz"
    _write_input(source)
    assert _run(["simulate", source, tmp_path / "low.txt", "--slice-mm", "0", "--no-progress"]) == 2
    error = capsys.readouterr().err
    assert "low.txt: unsupported output format '.txt'" in error and len(error.strip().splitlines()) == 1
    assert sorted(path.name for path in tmp_path.iterdir()) == ["full.nii.gz"]


def test_a_given_slice_correlation_reaches_the_inserted_noise_and_a_wrong_one_is_refused(tmp_path, capsys):
    # A thin crop measures ρ₁ roughly; the whole scan's can be given instead (``ctdenoise noise --json``).
    source = tmp_path / "noisy.nii.gz"
    _write_noisy_disk(source, n_slices=8)
    assert _run(["noise", source]) == 0
    assert re.search(r"slice correlation: +-?\d\.\d{3} ± \d\.\d{3}", capsys.readouterr().out)  # with its error
    assert _run(["noise", source, "--json"]) == 0
    nps_json = tmp_path / "nps.json"
    nps_json.write_text(capsys.readouterr().out)
    assert json.loads(nps_json.read_text())["slice_noise_correlation_standard_error"] > 0
    assert _run(["noise", source, "--slice-correlation", "0.2"]) == 0  # σ corrected for a given ρ₁, said so
    assert re.search(r"slice correlation: +0\.200 \(given\)", capsys.readouterr().out)
    target = tmp_path / "low.nii.gz"
    arguments = ["simulate", source, target, "--kernel", nps_json, "--slice-mm", "0", "--no-progress"]
    assert _run([*arguments, "--slice-correlation", "0.2"]) == 0
    assert "noise correlation 0.200 (given)" in capsys.readouterr().out
    simulation = json.loads((tmp_path / "low.json").read_text())["simulation"]
    assert simulation["noise_kernel"]["slice_correlation"] == 0.2 and "0.200 (given)" in simulation["noise_fit"]
    refused = tmp_path / "refused.nii.gz"
    assert _run(["simulate", source, refused, "--slice-correlation", "0.9", "--no-progress"]) == 2
    error = capsys.readouterr().err
    assert "--slice-correlation: slice correlation 0.9 is outside" in error and len(error.strip().splitlines()) == 1
    assert not refused.exists()


def test_a_named_clinical_kernel_is_matched_by_name_and_the_help_lists_every_name(tmp_path, capsys):
    from ctdenoise.cli.simulate_commands import KERNEL_HELP
    from ctdenoise.simulate.named_kernel import NAMED_KERNELS

    assert all(name in KERNEL_HELP for name in NAMED_KERNELS)
    source = tmp_path / "noisy.nii.gz"
    _write_noisy_disk(source)
    target = tmp_path / "low.nii.gz"
    assert _run(["simulate", source, target, "--kernel", "Siemens-B70f", "--slice-mm", "0", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "matched to siemens-b70f (Siemens, B70f (100 kV), from CPTAC C3N-00247) (NPS peak 0.525 mm⁻¹" in printed
    assert json.loads((tmp_path / "low.json").read_text())["simulation"]["noise_kernel"]["name"].startswith(
        "matched to siemens-b70f"
    )
    assert _run(["simulate", source, tmp_path / "x.nii.gz", "--kernel", "b30f", "--no-progress"]) == 2
    assert "named kernel (ge-standard, philips-c, siemens-b70f)" in capsys.readouterr().err


def test_kernels_lists_every_named_kernel_with_its_scan_and_texture(capsys):
    from ctdenoise.simulate.named_kernel import NAMED_KERNELS

    assert _run(["kernels"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(NAMED_KERNELS) + 2 and all(any(name in line for line in lines) for name in NAMED_KERNELS)
    b70f = next(line for line in lines if line.startswith("siemens-b70f"))
    assert "CPTAC C3N-00247" in b70f and "82.6" in b70f and "0.525" in b70f
