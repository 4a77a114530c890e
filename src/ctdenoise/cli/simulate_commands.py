"""``ctdenoise simulate`` (a low-dose, thicker-slice scan from a full-dose one) and ``ctdenoise noise`` (a scan's
own noise σ and NPS)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

KERNEL_HELP = (
    "Noise kernel: 'auto' matches the input's own NPS (falls back to 'standard', saying so, when the input has "
    "too little flat tissue or no noise) and gives the inserted noise the input's own correlation between "
    "neighbouring slices; 'standard' is the simulator's Hann kernel (independent slices); a named clinical kernel "
    "measured on a real scan: ge-standard, philips-c or siemens-b70f (docs/simulate.md); or a JSON file written by "
    "'ctdenoise noise --json' whose NPS shape to match (a named kernel's or a file's slice correlation is not "
    "used: --slice-correlation if given, else the input's own when --calibrate measures it, else independent "
    "slices)."
)


def _kernel_choice(kernel: str):
    """The kernel argument for :func:`fit_noise_model`: a name, or the NPS read from a JSON file."""
    from ctdenoise.errors import CtDenoiseError
    from ctdenoise.simulate.named_kernel import NAMED_KERNELS
    from ctdenoise.simulate.noise_kernel import noise_power_spectrum_from_summary

    if kernel in ("auto", "standard"):
        return kernel
    if kernel.lower() in NAMED_KERNELS:
        return kernel.lower()
    path = Path(kernel)
    if path.suffix.lower() != ".json":
        raise CtDenoiseError(
            f"--kernel {kernel}: use auto, standard, a named kernel ({', '.join(NAMED_KERNELS)}) or a .json file "
            "from 'ctdenoise noise --json'"
        )
    try:
        summary = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise CtDenoiseError(f"{path}: cannot read the NPS JSON ({error})") from None
    return noise_power_spectrum_from_summary(summary, source=str(path))


def simulate(
    input_path: Path = typer.Argument(..., metavar="IN", help="Full-dose CT: DICOM folder or .nii/.nii.gz/.nrrd/.mha."),
    output_path: Path = typer.Argument(
        ...,
        metavar="OUT",
        help="Output file, or a suffix-less path for DICOM. Beside a NIfTI/NRRD/MetaImage file, a JSON sidecar "
        "(low.nii.gz → low.json) records dose, I0 (and along z), noise kernel and seed.",
    ),
    dose: float = typer.Option(
        0.1, "--dose", help="Simulated dose as a fraction of the input's, between 0 and 1 exclusive (0.1 = 10 %)."
    ),
    slice_mm: float = typer.Option(
        2.0, "--slice-mm", help="Output slice thickness, a whole multiple of the input's; 0 keeps the input slices."
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed; the same seed gives the same output bit for bit."),
    geometry: str = typer.Option("siemens", "--geometry", metavar="siemens|ge", help="Scanner geometry."),
    photons: float = typer.Option(2.0e5, "--photons", help="Full-dose quanta per ray on the central channel (I0)."),
    calibrate: bool = typer.Option(
        False,
        "--calibrate",
        help="Estimate I0 from the input's own noise in flat tissue (overrides --photons).",
        metavar="",
    ),
    kernel: str = typer.Option("auto", "--kernel", help=KERNEL_HELP),
    pairs: int = typer.Option(
        16,
        "--pairs",
        min=1,
        help="Neighbouring-slice pairs the noise fit measures on, spread over the middle 80 % of the input; with "
        "--calibrate, when they span ≥ 60 mm, each also sets I0 along z (each costs about two slice simulations).",
    ),
    slice_correlation: float | None = typer.Option(
        None,
        "--slice-correlation",
        help="Correlation ρ₁ of the input's neighbouring slices' noise, when known: e.g. 'slice_noise_correlation' "
        "from 'ctdenoise noise --json' of the whole scan when IN is a thin crop of it (a few slices measure it "
        "roughly, and σ and I0 move with it). −0.2…0.6; default: measured on IN with --kernel auto or --calibrate, "
        "else 0 (--kernel standard always inserts noise independent between slices).",
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace OUT if it exists.", metavar=""),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar.", metavar=""),
) -> None:
    """Simulate a low-dose scan (projection-domain noise insertion + FBP) with the input's noise texture."""
    from ctdenoise.errors import CtDenoiseError
    from ctdenoise.io import read_volume, refuse_to_clobber, write_volume
    from ctdenoise.io.provenance import check_provenance_path, write_provenance
    from ctdenoise.io.volume_io import output_is_dicom_series
    from ctdenoise.simulate import FluxModel, fit_noise_model, simulate_low_dose
    from ctdenoise.simulate.attenuation import PADDING_BELOW_HU
    from ctdenoise.simulate.lowdose import check_simulation_arguments
    from ctdenoise.simulate.noise import check_dose_fraction
    from ctdenoise.simulate.scan_noise import check_slice_correlation

    try:
        check_dose_fraction(dose)  # a flag's error names the flag, before any file is read
    except CtDenoiseError as error:
        raise CtDenoiseError(f"--dose {dose:g}: {error}") from None
    check_slice_correlation(slice_correlation, "--slice-correlation")
    output_is_dicom_series(output_path)  # refuse an unknown output format before minutes of simulation
    refuse_to_clobber(output_path, overwrite, inputs=(input_path,))
    check_provenance_path(output_path, overwrite, (input_path,))
    choice = _kernel_choice(kernel)
    volume = read_volume(input_path)
    output_slice_mm = slice_mm if slice_mm > 0 else None
    check_simulation_arguments(volume, dose, output_slice_mm, str(input_path))  # before the slow kernel fit
    model = fit_noise_model(
        volume,
        geometry=geometry,
        kernel=choice,
        reference=FluxModel(full_dose_photons=photons),
        calibrate=calibrate,
        n_slices=pairs,
        source=str(input_path),
        progress=progress,
        slice_correlation=slice_correlation,
    )
    typer.echo(f"noise: {model.note}")
    if calibrate:
        typer.echo(
            f"calibrated full-dose flux I0 = {model.flux.full_dose_photons:.3g} quanta per ray over all measured slices"
            f"{model.flux.profile_text()}"
        )
    low_dose = simulate_low_dose(
        volume,
        dose_fraction=dose,
        slice_mm=output_slice_mm,
        seed=seed,
        geometry=geometry,
        progress=progress,
        flux=model.flux,
        source=str(input_path),
        kernel=model.kernel,
        clip_below_hu=PADDING_BELOW_HU,  # a scanner stores nothing below −1024 HU
    )
    low_dose.metadata["simulation"]["noise_fit"] = model.note  # how the kernel and ρ₁ were chosen, into the sidecar
    written = write_volume(low_dose, output_path, overwrite=overwrite)
    sidecar = write_provenance(low_dose, output_path, overwrite=overwrite)
    typer.echo(f"wrote {written} ({low_dose.shape[0]} slices of {low_dose.spacing_mm[0]:g} mm, dose {dose:g})")
    if sidecar is not None:
        along_z = ", I0 along z" if low_dose.metadata["simulation"]["relative_flux_by_slice"] else ""
        typer.echo(f"wrote {sidecar} (dose, I0{along_z}, noise kernel, seed)")


NOISE_HELP = (
    "Measure a scan's own noise: σ (HU) and NPS from flat tissue ROIs, robust to anatomy.\n\n"
    "ROIs in fat, muscle and organs are cut from differences of neighbouring slices, detrended, and kept when free "
    "of structure (Christianson et al. 2015; Malkus & Szczykutowicz 2017); σ is the square root of the NPS's "
    "integral, one slice's noise: the differences are corrected for the noise that neighbouring slices share "
    "(their correlation, measured from differences 1–3 slices apart, is printed with its jackknife standard error "
    "over the slices; 0.1–0.3 on real helical scans). "
    "The NPS peak is the centre of the top 5 % of a finer curve (the ROIs zero-padded to 4× their size), "
    "so it can lie between the points of the plotted curve and gives the middle of a flat top; the mean frequency "
    "is the NPS-weighted mean of f. The test that rejects anatomy also rejects some of the noise's own "
    "low-frequency power (on noise drawn with each real scan's NPS, the kept ROIs' first NPS bins read 11–21 % low); "
    "that bias is measured on noise drawn with the measured NPS and put through the same test, and removed (bins "
    "1–2's factors are printed, every bin's are in the JSON)."
)


def noise(
    scan: Path = typer.Argument(..., metavar="SCAN", help="CT scan: DICOM folder or .nii/.nii.gz/.nrrd/.mha."),
    as_json: bool = typer.Option(
        False,
        "--json",
        help="Print one JSON object only: σ, NPS peak/mean frequency, ROI counts, the radial NPS, "
        "slice_noise_correlation (ρ₁) with its standard error, selection_bias_correction (the ROI-choice factor per "
        "radial bin), and global_noise_level_hu (Christianson et al. 2015: the mode of the local σ of all "
        "flat-tissue candidate ROIs, structured ones included).",
        metavar="",
    ),
    plot: Path | None = typer.Option(None, "--plot", help="Save the radial NPS curve to this PNG."),
    roi_px: int = typer.Option(24, "--roi-px", min=8, help="Side of the square ROIs in pixels."),
    slices: int = typer.Option(
        8,
        "--pairs",
        "--slices",
        min=1,
        help="Neighbouring-slice pairs to measure on, spread over the middle 80 % of the scan (simulate --pairs "
        "defaults to 16: give --pairs 16 to measure what simulate measures; --slices is its former name).",
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace the --plot file if it exists.", metavar=""),
    slice_correlation: float | None = typer.Option(
        None,
        "--slice-correlation",
        help="Correlation ρ₁ of SCAN's neighbouring slices' noise, when known (e.g. the whole scan's when SCAN is a "
        "thin crop of it); σ and the NPS are corrected for it instead of for the ρ₁ measured on SCAN. −0.2…0.6.",
    ),
    rois_from: Path | None = typer.Option(
        None,
        "--rois-from",
        help="Measure on the flat ROIs of this scan instead (same grid), e.g. the full-dose scan when SCAN is its "
        "low-dose version: the σ ratio is then not moved by which regions each scan lets count as flat (the NPS "
        "takes this scan's ROI-choice correction, so the two compare bin by bin).",
    ),
) -> None:
    """Measure a scan's own noise: σ (HU) and NPS from flat tissue ROIs, robust to anatomy (see NOISE_HELP)."""
    from ctdenoise.io import read_volume, refuse_to_clobber
    from ctdenoise.simulate.scan_noise import check_slice_correlation, measure_on_rois_of, measure_scan_noise

    check_slice_correlation(slice_correlation, "--slice-correlation")
    if plot is not None:
        refuse_to_clobber(plot, overwrite, inputs=(scan,))
    volume = read_volume(scan)
    if rois_from is None:
        measured = measure_scan_noise(
            volume, roi_px=roi_px, n_slices=slices, source=str(scan), slice_correlation=slice_correlation
        )
    else:
        reference = read_volume(rois_from)
        measured = measure_on_rois_of(
            volume, reference, roi_px, slices, str(scan), str(rois_from), slice_correlation=slice_correlation
        )
    summary = {"scan": str(scan), **measured.summary(), **({"rois_from": str(rois_from)} if rois_from else {})}
    if plot is not None:
        from ctdenoise.simulate.nps_plot import save_nps_plot

        name = scan.name if scan.is_file() else f"{scan.parent.name}/{scan.name}"  # a DICOM folder is often "dicom"
        save_nps_plot({f"noise power spectrum of {name}": {"scan": measured.nps}}, plot, overwrite=overwrite)
    if as_json:
        typer.echo(json.dumps(summary))
        return
    typer.echo(f"{scan}")
    typer.echo(f"  noise σ:              {summary['noise_std_hu']:.2f} HU")
    typer.echo(f"  NPS peak frequency:   {summary['peak_frequency_per_mm']:.3f} mm⁻¹")
    typer.echo(f"  NPS mean frequency:   {summary['mean_frequency_per_mm']:.3f} mm⁻¹")
    correlation, error = summary["slice_noise_correlation"], summary["slice_noise_correlation_standard_error"]
    spread = f" ± {error:.3f}" if error is not None else " (given)" if slice_correlation is not None else ""
    typer.echo(
        f"  slice correlation:    {correlation:.3f}{spread} (noise shared by neighbouring slices; σ and NPS are one "
        "slice's)"
        if correlation is not None
        else "  slice correlation:    not measured (too few slices; σ and NPS assume independent slices)"
    )
    correction = summary["selection_bias_correction"]
    typer.echo(
        f"  ROI-choice bias:      NPS bins 1–2 × {correction[1]:.2f}, {correction[2]:.2f} (restored: the noise the "
        "flat-ROI test rejected" + (f" on {rois_from})" if rois_from else ")")
        if correction is not None and len(correction) > 2
        else "  ROI-choice bias:      not corrected (too few NPS bins)"
    )
    typer.echo(
        f"  ROIs:                 {summary['n_rois']} flat of {summary['n_candidate_rois']} candidates "
        f"({roi_px}×{roi_px} px, {summary['n_slice_pairs']} slice pairs)"
        + (f", found on {rois_from}" if rois_from else "")
    )
    if plot is not None:
        typer.echo(f"  wrote {plot}")


def kernels() -> None:
    """List the named clinical noise kernels ('simulate --kernel NAME'): each one's scanner and kernel, the real scan
    it was measured on, and that scan's noise σ, NPS peak and licence."""
    from ctdenoise.simulate.named_kernel import NAMED_KERNELS, named_kernel_record

    typer.echo(f"{'name':<14} {'scanner, kernel':<26} {'measured on':<36} {'σ (HU)':>7} {'NPS peak':>9}  licence")
    for name in NAMED_KERNELS:
        record = named_kernel_record(name)
        typer.echo(
            f"{name:<14} {record['scanner_kernel']:<26} {record['source_scan']:<36} {record['noise_std_hu']:>7.1f} "
            f"{record['peak_frequency_per_mm']:>9.3f}  {record['licence']}"
        )
    typer.echo("NPS peak in mm⁻¹; a name sets the texture only (I0 and ρ₁ come from the input). docs/simulate.md")


def register(app: typer.Typer) -> None:
    """Add the ``simulate``, ``noise`` and ``kernels`` commands to the top-level app."""
    app.command("simulate")(simulate)
    app.command("noise", help=NOISE_HELP)(noise)
    app.command("kernels")(kernels)
