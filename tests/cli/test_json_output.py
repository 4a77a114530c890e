"""Every command with ``--json`` prints one JSON object on stdout and nothing else, even when libraries print on
stdout behind our back (NNCF's progress bars during INT8 quantization); notes and bars go to stderr. Each command
runs as a real process and its stdout goes through Python's JSON parser."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from ctdenoise.io import write_volume
from ctdenoise.volume import Volume

SRC = os.path.join(os.path.dirname(__file__), "..", "..", "src")


def run_process(*args, env_changes: dict[str, str | None] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.path.abspath(SRC)}
    for key, value in (env_changes or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    command = [sys.executable, "-m", "ctdenoise", *(str(a) for a in args)]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)


@pytest.fixture(scope="module")
def scan_and_mask(tmp_path_factory):
    folder = tmp_path_factory.mktemp("json")
    z, y, x = np.indices((16, 24, 24))
    nodule = ((z - 8) ** 2 + (y - 12) ** 2 + (x - 12) ** 2 <= 16).astype(np.float32)
    noise = np.random.default_rng(0).normal(0, 20, nodule.shape)
    scan = Volume(np.where(nodule > 0, 40.0, -850.0) + noise, spacing_mm=(1.0, 1.0, 1.0))
    write_volume(scan, folder / "scan.nii.gz")
    write_volume(scan.with_array(scan.hu + 5.0), folder / "pred.nii.gz")
    write_volume(scan.with_array(nodule, modality="SEG"), folder / "nodule.nii.gz")
    return folder


def parse_stdout(completed: subprocess.CompletedProcess) -> dict:
    assert completed.returncode == 0, completed.stderr[-2000:]
    return json.loads(completed.stdout)  # raises on anything that is not exactly one JSON document


def test_info_json(scan_and_mask):
    assert parse_stdout(run_process("info", scan_and_mask / "scan.nii.gz", "--json"))["shape_zyx"] == [16, 24, 24]


def test_radiomics_json_and_no_progress(scan_and_mask):
    completed = run_process(
        "radiomics", scan_and_mask / "scan.nii.gz", scan_and_mask / "nodule.nii.gz", "--json", "--no-progress"
    )
    assert "firstorder_Mean" in parse_stdout(completed)["features"]
    assert "radiomics" not in completed.stderr  # no progress bar


def test_evaluate_json_skips_lpips_with_a_note_when_no_weights_are_on_the_machine(scan_and_mask, tmp_path):
    completed = run_process(
        "evaluate",
        "--pred",
        scan_and_mask / "pred.nii.gz",
        "--target",
        scan_and_mask / "scan.nii.gz",
        "--json",
        env_changes={"CTDENOISE_LPIPS_WEIGHTS": None, "CTDENOISE_SHARED": None, "TORCH_HOME": str(tmp_path)},
    )
    report = parse_stdout(completed)
    assert report["lpips_net"] is None and "lpips" not in report["metrics"]
    assert report["metrics"]["psnr_3d"] == pytest.approx(20 * np.log10(1500 / 5), abs=0.05)  # 5 HU everywhere
    notes = [line for line in completed.stderr.splitlines() if line.startswith("note: LPIPS skipped")]
    assert len(notes) == 1 and "--lpips-weights" in notes[0]


@pytest.mark.slow
def test_benchmark_json_with_int8_quantization_is_pure_json():
    completed = run_process(
        "benchmark",
        "--json",
        "--shape",
        "2,24,24",  # RED-CNN's unpadded 5×5 layers need 21 pixels in-plane
        "--preset",
        "tiny",
        "--runtimes",
        "openvino",
        "--repetitions",
        "1",
        "--warmup",
        "0",
    )
    report = parse_stdout(completed)
    assert {row["precision"] for row in report["results"]} >= {"int8"}
    assert "Statistics collection" in completed.stderr  # NNCF's bars are still shown, on stderr
