"""``ctdenoise reproduce``: the seed study end to end — data, both networks, three precisions, image quality,
speed and radiomics — as a report. Stages are cached: ``resume=True`` skips the ones that finished."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from ctdenoise.errors import CtDenoiseError
from ctdenoise.io.atomic import atomic_path
from ctdenoise.pairs import PairRecord, read_pairs_manifest
from ctdenoise.study.data_stage import prepare_study_data
from ctdenoise.study.evaluate_stage import denoise_test_split, low_dose_on_full_grid, score_outputs
from ctdenoise.study.machine import machine_description, package_versions
from ctdenoise.study.methods import BASELINE, LOW_DOSE, Method, study_methods
from ctdenoise.study.radiomics_stage import run_radiomics
from ctdenoise.study.real_scans_stage import STAGE_NAME, locate_real_data
from ctdenoise.study.report import write_report
from ctdenoise.study.stages import Stage, load_stage_record, run_stage
from ctdenoise.study.study_config import load_study_config
from ctdenoise.study.summary import assemble_results
from ctdenoise.study.training_stage import plot_training_curves, train_network


class StudyProgress:
    """Prints each stage as it starts: its number, what it does, time so far and an estimate of time left."""

    def __init__(self, stages: list[Stage], weights: dict[str, float], console: Console) -> None:
        self.stages, self.weights, self.console = stages, weights, console
        self.started = time.perf_counter()
        self.done_weight = 0.0
        self.total_weight = sum(weights.get(stage.name, 1.0) for stage in stages)

    def begin(self, index: int, stage: Stage) -> None:
        elapsed = time.perf_counter() - self.started
        left = ""
        if self.done_weight > 0:
            remaining = elapsed * (self.total_weight - self.done_weight) / self.done_weight
            left = f", about {remaining / 60:.0f} min left"
        self.console.rule(
            f"[bold]stage {index + 1}/{len(self.stages)}: {stage.name}[/] — {stage.description} "
            f"({elapsed / 60:.1f} min elapsed{left})"
        )

    def end(self, stage: Stage, record: dict[str, Any]) -> None:
        self.done_weight += self.weights.get(stage.name, 1.0)
        status = "cached" if record.get("skipped") else f"{record['seconds']:.0f} s"
        self.console.print(f"[green]✓[/] {stage.name} ({status})")


def _test_rows(out_dir: Path) -> list[PairRecord]:
    manifest = out_dir / "data" / "pairs.csv"
    return [row for row in read_pairs_manifest(manifest) if row.split == "test"]


def build_stages(
    config: dict[str, Any],
    out_dir: Path,
    data_dir: Path | None,
    lpips_weights: Path | None,
    progress: bool = True,
    real_data_dir: Path | None = None,
) -> list[Stage]:
    """The study as an ordered list of cached stages; each reads what earlier stages wrote under ``out_dir``.

    ``real_data_dir``: the held-out real scans' folder (``real_scans_stage.locate_real_data``); None leaves the
    "real scans" stage out."""
    networks = list(config["training"]["networks"])
    methods = study_methods(config["inference"], config["training"]["mixed_precision"], networks)
    runs = sorted({method.run_name for method in methods}, key=lambda name: (name.split("-")[1] != "fp32", name))
    threads = config["inference"].get("num_threads")

    def data(work: Path) -> dict[str, Any]:
        return prepare_study_data(work, config["data"], config["seed"], data_dir, progress)

    def training(run_name: str):
        def run(work: Path) -> dict[str, Any]:
            arch, precision = run_name.split("-")
            return train_network(arch, precision, out_dir / "data" / "pairs.csv", config, work, progress)

        return run

    def quantize(arch: str):
        def run(work: Path) -> dict[str, Any]:
            from ctdenoise.inference import quantize_model
            from ctdenoise.io import read_volume

            train_rows = [r for r in read_pairs_manifest(out_dir / "data" / "pairs.csv") if r.split == "train"]
            settings = dict(config["quantize"])  # quantize_model's own keyword arguments; it owns their defaults
            if "patch_zyx" in settings:
                settings["patch_zyx"] = tuple(settings["patch_zyx"])
            result = quantize_model(
                load_stage_record(out_dir, f"train-{arch}-fp32")["result"]["best_checkpoint"],
                [read_volume(row.low_dose) for row in train_rows],
                work / "int8",
                reference_volumes=[read_volume(row.full_dose) for row in train_rows],
                seed=config["seed"],
                overwrite=True,
                progress=progress,
                **settings,
            )
            return {
                "model_dir": str(result.model_dir),
                "accuracy": result.accuracy,
                "warnings": result.warnings,
                "n_calibration_patches": result.n_calibration_patches,
            }

        return run

    def model_of(method: Method) -> Path | str:
        if method.precision == "int8":
            return out_dir / f"quantize-{method.arch}" / "int8"
        return load_stage_record(out_dir, f"train-{method.run_name}")["result"]["best_checkpoint"]

    def inference(method: Method):
        def run(work: Path) -> dict[str, Any]:
            return denoise_test_split(method, model_of(method), _test_rows(out_dir), work, threads)

        return run

    def outputs_by_method() -> dict[str, dict[str, str]]:

        outputs = {LOW_DOSE: load_stage_record(out_dir, "low-dose")["result"]["outputs"]}
        for method in methods:
            outputs[method.label] = load_stage_record(out_dir, f"infer-{method.key}")["result"]["outputs"]
        return outputs

    def low_dose(work: Path) -> dict[str, Any]:
        return {"outputs": low_dose_on_full_grid(_test_rows(out_dir), work)}

    def evaluate(work: Path) -> dict[str, Any]:
        return score_outputs(outputs_by_method(), _test_rows(out_dir), config["evaluation"], lpips_weights)

    def radiomics(work: Path) -> dict[str, Any]:
        return run_radiomics(outputs_by_method(), _test_rows(out_dir), work, BASELINE, config["radiomics"])

    def image_quality_tasks(work: Path) -> dict[str, Any]:
        from ctdenoise.study.iq_stage import run_iq_stage

        models = {method.label: (method, model_of(method)) for method in methods}
        return run_iq_stage(work, config, models, out_dir / "iq-cache", threads, progress)

    def real_scans(work: Path) -> dict[str, Any]:
        from ctdenoise.study.real_scans_stage import run_real_scans_stage

        study_models = {
            method.label: (model_of(method), method.precision, method.runtime)
            for method in methods
            if method.precision in ("fp32", "int8")
        }
        return run_real_scans_stage(
            real_data_dir,
            config["real_scans"],
            study_models,
            config["seed"],
            out_dir / "real-scans-cache",
            threads,
            progress,
        )

    def benchmark(work: Path) -> dict[str, Any]:
        from ctdenoise.inference import run_benchmark

        settings = config["benchmark"]
        return run_benchmark(
            shape_zyx=tuple(settings["shape_zyx"]),
            archs=networks,
            preset=settings["preset"],
            repetitions=settings["repetitions"],
            progress=progress,
        )

    def curves(work: Path) -> dict[str, Any]:
        return {"figure": str(plot_training_curves(out_dir, runs, work / "training_curves.png"))}

    stages = [Stage("data", "phantom cohort and simulated 10 % dose, 2 mm partners; patient-level split", data)]
    stages += [Stage(f"train-{run}", f"train {run.replace('-', ' ')}", training(run), True) for run in runs]
    stages.append(Stage("training-curves", "plot training and validation curves", curves))
    stages += [
        Stage(f"quantize-{arch}", f"INT8 post-training quantization of {arch}", quantize(arch)) for arch in networks
    ]
    stages.append(Stage("low-dose", "low-dose input on the full-dose grid (reference row)", low_dose))
    stages += [
        Stage(f"infer-{m.key}", f"denoise the test split with {m.label} ({m.runtime})", inference(m)) for m in methods
    ]
    stages.append(Stage("evaluate", "PSNR, SSIM and LPIPS against full dose", evaluate))
    stages.append(Stage("radiomics", "nodule radiomics, paired tests, Figures 1 and 2", radiomics))
    if "iq" in config:
        stages.append(
            Stage("iq", "low-contrast detectability, NPS and TTF on the phantom (Figure 3)", image_quality_tasks)
        )
    if real_data_dir is not None:
        stages.append(Stage(STAGE_NAME, "the study's networks and the built-ins on held-out real chest CT", real_scans))
    stages.append(Stage("benchmark", "CPU inference speed of every model × runtime × precision", benchmark))
    return stages


STAGE_WEIGHTS = {"data": 2.0, "benchmark": 3.0, "radiomics": 2.0, "evaluate": 1.5, STAGE_NAME: 1.5}


def reproduce(
    preset: str | Path = "quick",
    out_dir: Path | str = "ctdenoise-study",
    data_dir: Path | None = None,
    resume: bool = False,
    overwrite: bool = False,
    lpips_weights: Path | None = None,
    console: Console | None = None,
    progress: bool = True,
    real_data_dir: Path | None = None,
) -> dict[str, Path]:
    """Run (or resume) the whole study and write its report; returns the report files.

    ``progress=False`` turns off the progress bars inside the stages (one line per stage is still printed).
    ``real_data_dir``: a folder laid out like ``shared/data`` with the held-out real scans for the report's "real
    scans" section (default ``$CTDENOISE_SHARED/data``, else ``../shared/data``; skipped, with a line in the report
    saying why, when they are not there).

    Example:
        >>> reproduce("quick", "demo-output", resume=True)  # doctest: +SKIP
        {'markdown': PosixPath('demo-output/report.md'), 'html': ...}
    """
    console = console or Console()
    out_dir = Path(out_dir).resolve()  # stage records hold absolute paths, valid from any working directory
    config = load_study_config(preset)
    config["preset"] = str(preset)
    real_data, real_scans_skipped = locate_real_data(config.get("real_scans"), real_data_dir)
    config_path = out_dir / "config.yaml"
    if out_dir.exists() and any(out_dir.iterdir()) and not (resume or overwrite):
        raise CtDenoiseError(f"{out_dir}: already exists and is not empty; pass --resume to continue or --overwrite")
    if resume and config_path.is_file():
        previous = yaml.safe_load(config_path.read_text())
        if previous != config:
            raise CtDenoiseError(f"{config_path}: the earlier run used another configuration; use a new --out folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(config_path) as temporary:
        temporary.write_text(yaml.safe_dump(config, sort_keys=False))
    started = time.perf_counter()
    stages = build_stages(config, out_dir, data_dir, lpips_weights, progress, real_data)
    stage_log = StudyProgress(stages, STAGE_WEIGHTS, console)
    records = {}
    for index, stage in enumerate(stages):
        stage_log.begin(index, stage)
        records[stage.name] = run_stage(stage, out_dir, resume=resume)
        stage_log.end(stage, records[stage.name])
    results = assemble_results(config, records, out_dir, real_scans_skipped or None)
    results["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    results["total_minutes"] = sum(r.get("seconds", 0.0) for r in records.values()) / 60.0
    results["wall_minutes_this_invocation"] = (time.perf_counter() - started) / 60.0
    results["machine"], results["versions"] = machine_description(), package_versions()
    paths = write_report(results, out_dir)
    console.print(f"[bold green]report:[/] {paths['html']}  and  {paths['markdown']}")
    return paths
