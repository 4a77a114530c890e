"""Turn the stage records into the numbers the report shows: Table 1, reference rows, radiomics summary,
checks against the study's acceptance criteria, and the notes on where we differ from the seed."""

from __future__ import annotations

import csv
import statistics
from pathlib import Path
from typing import Any

from ctdenoise.study.methods import BASELINE_ARCH, LOW_DOSE, study_methods
from ctdenoise.study.real_scans_stage import STAGE_NAME as REAL_SCANS_STAGE

# Largest PSNR shortfall of STResNet against SRResNet that still counts as "as accurate": 0.5 dB. Retraining the
# *same* architecture with only the training precision changed moves test PSNR by about that much — 1.08 dB
# (SRResNet) and 0.69 dB (STResNet) between FP32 and FP16 in the seed's Table 1, 0.48 dB (SRResNet FP32 vs BF16)
# in our quick study — so a smaller architecture gap is within what one training run differs from the next.
STRESNET_PSNR_MARGIN_DB = 0.5
INT8_PSNR_LOSS_LIMIT_DB = 0.1


def _summary_values(scores: dict[str, Any], label: str) -> dict[str, float | None]:
    summary = scores.get(label, {}).get("summary", {})
    values: dict[str, float | None] = {}
    for metric in ("psnr", "ssim", "lpips"):
        entry = summary.get(metric)
        values[f"{metric}_mean"] = entry["mean"] if entry else None
        values[f"{metric}_std"] = entry["std"] if entry else None
    return values


def _benchmark_speedup(benchmark: dict[str, Any], arch: str, runtime: str, precision: str) -> float | None:
    for result in benchmark.get("results", []):
        if (result["model"].lower(), result["runtime"], result["precision"]) == (arch, runtime, precision):
            return result.get("speedup_vs_srresnet_fp32")
    return None


def table1_rows(config: dict[str, Any], records: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per method in the seed's layout, every value from this run's stage records."""
    methods = study_methods(config["inference"], config["training"]["mixed_precision"], config["training"]["networks"])
    scores = records["evaluate"]["result"]["scores"]
    benchmark = records["benchmark"]["result"]
    train_seconds = {
        name.removeprefix("train-"): record["result"]["seconds_per_iteration"]
        for name, record in records.items()
        if name.startswith("train-")
    }
    baseline_train = train_seconds.get(f"{BASELINE_ARCH}-fp32")
    rows = []
    for method in methods:
        trained_here = method.precision != "int8"
        train_s = train_seconds.get(method.run_name) if trained_here else None
        rows.append(
            {
                "model": method.network_label,
                "precision": method.precision.upper(),
                "runtime": method.runtime,
                **_summary_values(scores, method.label),
                "inference_s": records[f"infer-{method.key}"]["result"]["median_s"],
                "train_s_per_iter": train_s,
                "inference_speedup": _benchmark_speedup(benchmark, method.arch, method.runtime, method.precision),
                "training_speedup": (baseline_train / train_s) if train_s and baseline_train else None,
            }
        )
    return rows


def reference_rows(records: dict[str, Any]) -> list[dict[str, Any]]:
    scores = records["evaluate"]["result"]["scores"]
    return [{"model": LOW_DOSE, "precision": "input (z-interpolated)", **_summary_values(scores, LOW_DOSE)}]


def radiomics_summary_rows(records: dict[str, Any]) -> list[dict[str, str]]:
    """Per method: features consistent with the baseline (t-test, and after BH) and median CCC to full dose."""
    result = records["radiomics"]["result"]
    with Path(result["tests_csv"]).open(newline="") as handle:
        tests = list(csv.DictReader(handle))
    rows = []
    for method in result["summary"]["consistent_features"]:
        method_rows = [row for row in tests if row["method"] == method]
        tested = [row for row in method_rows if row["p_value"] not in ("", "nan")]
        ccc = [float(row["ccc_vs_reference"]) for row in method_rows if row.get("ccc_vs_reference") not in ("", "nan")]
        consistent_bh = sum(1 for row in tested if row["significant_bh"] == "False")
        rows.append(
            {
                "method": method,
                "consistent": f"{result['summary']['consistent_features'][method]} / {len(tested)}",
                "consistent_bh": f"{consistent_bh} / {len(tested)}",
                "median_ccc": f"{statistics.median(ccc):.3f}" if ccc else "n/a",
            }
        )
    return rows


def acceptance_checks(table1: list[dict[str, Any]], references: list[dict[str, Any]]) -> list[str]:
    """The study's 'done means' criteria, each stated with the numbers that decide it."""
    by_key = {(row["model"], row["precision"]): row for row in table1}
    low = references[0]["psnr_mean"]
    checks = []
    for model in dict.fromkeys(row["model"] for row in table1):
        fp32, int8 = by_key[(model, "FP32")]["psnr_mean"], by_key[(model, "INT8")]["psnr_mean"]
        checks.append(_check(f"{model} FP32 beats the low-dose input: {fp32:.2f} vs {low:.2f} dB", fp32 > low))
        loss = fp32 - int8
        checks.append(
            _check(
                f"{model} INT8 within {INT8_PSNR_LOSS_LIMIT_DB} dB of FP32: loses {loss:+.3f} dB",
                loss <= INT8_PSNR_LOSS_LIMIT_DB,
            )
        )
    if ("STResNet", "FP32") not in by_key:
        return checks
    sr, st = by_key[("SRResNet", "FP32")]["psnr_mean"], by_key[("STResNet", "FP32")]["psnr_mean"]
    checks.append(
        _check(
            f"STResNet FP32 PSNR ≥ SRResNet FP32 − {STRESNET_PSNR_MARGIN_DB} dB (the PSNR spread of retraining one "
            f"architecture at another precision, in the seed and here): {st:.2f} vs {sr:.2f} dB",
            st >= sr - STRESNET_PSNR_MARGIN_DB,
        )
    )
    return checks


def _check(text: str, passed: bool) -> str:
    return f"{'PASS' if passed else 'FAIL'}: {text}"


def difference_notes(config: dict[str, Any], records: dict[str, Any]) -> list[str]:
    """Why our numbers differ from the seed's, stated with this run's settings."""
    training = config["training"]
    trained = records[f"train-{BASELINE_ARCH}-fp32"]["result"]
    model = trained["model"]
    stresnet_settings = training["networks"].get("stresnet") or {}
    bench = config["benchmark"]
    data = records["data"]["result"]
    notes = [
        f"Data: {data['description']} (split {data['split_counts']}) instead of 184 real low-dose screening "
        "scans; absolute PSNR/SSIM/LPIPS depend on the data and are not comparable in level, only in ranking.",
        f"Networks: preset {model.get('preset')} ({_model_sizes(records)}) trained for {trained['steps']} steps of "
        f"batch {trained['batch_size']} × {'×'.join(map(str, trained['patch_zyx']))} patches on this machine's CPU, "
        "against the seed's F=64, N=9 trained on a GPU.",
        f"Mixed precision: {training['mixed_precision'].upper()} autocast on the CPU instead of FP16 (apex) on a "
        "GPU; training times are CPU seconds per iteration, so the ratios, not the seconds, compare with the seed.",
        "INT8: post-training static quantization with NNCF on OpenVINO (first conv kept in float) instead of eager "
        "PyTorch fbgemm; calibrated on training scans only"
        + (
            f", with NNCF accuracy control (≤ {config['quantize']['max_drop_db']} dB PSNR drop on training scans), "
            "which returns the most sensitive layers to float: the study's INT8 networks are partly float, while the "
            "benchmark's speed-ups are for fully quantized networks."
            if config["quantize"].get("max_drop_db") is not None
            else "."
        ),
        f"Inference speed-ups come from `ctdenoise benchmark --shape {','.join(map(str, bench['shape_zyx']))} "
        f"--preset {bench['preset']}` run inside this study (paper-scale networks on the same input), "
        "so they are the numbers that command prints; the time column is our trained networks per test volume.",
        "STResNet's spatial→temporal ReLU: "
        + (
            "kept, as in the authors' code."
            if stresnet_settings.get("temporal_relu", True)
            else "left out in this preset (see its YAML: at F=16 it cost STResNet 1 dB in a 1200-step run)."
        ),
        "LPIPS is averaged over axial slices (the seed's view count for LPIPS is not stated).",
    ]
    return notes


def _model_sizes(records: dict[str, Any]) -> str:
    """Each FP32-trained network with its settings, e.g. ``srresnet features=16, blocks=3, head_kernel=5``."""
    from ctdenoise.training.config import model_config

    sizes = []
    for name, record in records.items():
        if name.startswith("train-") and name.endswith("-fp32"):
            config = model_config({"model": record["result"]["model"]})
            sizes.append(f"{config.arch} " + ", ".join(f"{k}={v}" for k, v in config.settings.items()))
    return "; ".join(sizes)


def _relative(path: str, out_dir: Path) -> str:
    """A path inside the study folder, relative to it (the report links figures this way)."""
    return str(Path(path).resolve().relative_to(Path(out_dir).resolve()))


def assemble_results(
    config: dict[str, Any], records: dict[str, Any], out_dir: Path, real_scans_skipped: str | None = None
) -> dict[str, Any]:
    """Everything the report shows, as one JSON-able dict (``real_scans_skipped``: why the "real scans" stage did
    not run, said in the report)."""
    table1 = table1_rows(config, records)
    references = reference_rows(records)
    data = records["data"]["result"]
    radiomics = records["radiomics"]["result"]
    evaluation = config["evaluation"]
    lpips_net = records["evaluate"]["result"].get("lpips_net")
    bench = config["benchmark"]
    baseline_run = records[f"train-{BASELINE_ARCH}-fp32"]["result"]
    results = {
        "preset": config["preset"],
        "data_description": data["description"],
        "n_test_subjects": data["split_counts"]["test"],
        "n_test_nodules": radiomics["summary"]["nodules"],
        "window_hu": list(evaluation["window_hu"]),
        "inference_description": (
            "median seconds per test volume of our trained networks (FP32/mixed on "
            f"{config['inference']['runtime_fp32']}, INT8 on {config['inference']['runtime_int8']}); speed-ups from "
            f"the benchmark below (preset {bench['preset']}, input {'×'.join(map(str, bench['shape_zyx']))})."
        ),
        "training_description": (
            f"median seconds per iteration, batch {baseline_run['batch_size']}, "
            f"patch {'×'.join(map(str, baseline_run['patch_zyx']))} (low-dose grid)"
        ),
        "lpips_net": lpips_net or "n/a (weights not found)",
        "table1": table1,
        "reference_rows": references,
        "checks": acceptance_checks(table1, references),
        "differences": difference_notes(config, records),
        "benchmark": {
            **records["benchmark"]["result"],
            "description": f"Preset {bench['preset']}, input {'×'.join(map(str, bench['shape_zyx']))}; "
            f"median of {bench['repetitions']} runs after warm-up.",
        },
        "radiomics_summary": radiomics_summary_rows(records),
        "radiomics_settings": radiomics["summary"].get("settings"),
        "quantization": {
            name.removeprefix("quantize-"): record["result"]
            for name, record in records.items()
            if name.startswith("quantize-")
        },
        "figures": {
            "figure1": _relative(radiomics["figure1"], out_dir),
            "figure2": _relative(radiomics["figure2"], out_dir),
            "training": _relative(records["training-curves"]["result"]["figure"], out_dir),
        },
        "config": config,
        "stage_seconds": {name: record.get("seconds") for name, record in records.items()},
    }
    if "iq" in records:  # task-based image quality (Figure 3), when the preset asks for it
        results["iq"] = records["iq"]["result"]
        results["figures"]["figure3"] = _relative(records["iq"]["result"]["figure3"], out_dir)
    if REAL_SCANS_STAGE in records:
        results["real_scans"] = records[REAL_SCANS_STAGE]["result"]
    elif real_scans_skipped:
        results["real_scans"] = {"skipped": real_scans_skipped}
    return results
