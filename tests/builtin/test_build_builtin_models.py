"""``scripts/build_builtin_models.py``: ``evaluate --phantom-model`` scores a phantom-trained model as baseline (c)
on the held-out cases of its z scale, and ``cards`` shows that row. Held-out cases come from the packaged real
LIDC-IDRI-0003 crop (put in the cache, so nothing is simulated); the model is a tiny random z×2 STResNet."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

import ctdenoise.builtin.catalog as catalog
from ctdenoise.builtin.held_out import case_paths
from ctdenoise.builtin.training_data import HELD_OUT_SCANS, central_crop_yx, central_slab
from ctdenoise.examples import EXAMPLE_FULL_DOSE, EXAMPLE_LOW_DOSE
from ctdenoise.io import read_volume, write_volume
from ctdenoise.models import HUNormalization, ModelConfig, build_model, save_model_file
from ctdenoise.simulate import average_slices

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_builtin_models.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("build_builtin_models", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def evaluation(script, tmp_path_factory):
    folder = tmp_path_factory.mktemp("evaluate")
    cache = folder / "cache"
    cache.mkdir()
    full = central_crop_yx(central_slab(read_volume(EXAMPLE_FULL_DOSE), 16), (64, 64))
    low = central_crop_yx(central_slab(read_volume(EXAMPLE_LOW_DOSE), 16), (64, 64))
    for scan in HELD_OUT_SCANS:  # the cache layout evaluate reads instead of simulating
        full_path, low_paths = case_paths(cache, scan)
        write_volume(full, full_path)
        write_volume(low, low_paths[1])
        write_volume(average_slices(low, 2 * low.spacing_mm[0]), low_paths[2])
    config = ModelConfig.of("stresnet", features=4, blocks=1, head_kernel=3, z_scale=2)
    model = save_model_file(folder / "phantom.pt", build_model(config).eval(), config, HUNormalization())
    out_json = folder / "eval.json"
    script.evaluate(folder / "no-shared", [], out_json, cache, phantom_model=model, only=list(HELD_OUT_SCANS))
    return json.loads(out_json.read_text()), model


def test_phantom_model_is_scored_on_the_cases_of_its_z_scale(evaluation, script):
    results, model = evaluation
    assert set(results) == {f"{scan}-x{z}" for scan in HELD_OUT_SCANS for z in (1, 2)}
    for key, case in results.items():
        assert {"input", "best_gaussian"} <= set(case)
        assert (script.PHANTOM_MODEL in case) == key.endswith("-x2")  # a z×2 model: only the z×2 cases
    row = results["lidc-idri-0003-x2"][script.PHANTOM_MODEL]
    assert (row["model"], row["precision"], row["runtime"]) == (str(model), "fp32", "torch")
    assert 0 < row["ssim_body"] <= 1 and row["seconds"] >= 0


def test_cards_print_the_phantom_model_as_row_c(evaluation, script, monkeypatch, tmp_path):
    results, _ = evaluation
    card = catalog.builtin_card("stresnet-x2")
    card["held_out"] = {key: case for key, case in results.items() if key.endswith("-x2")}
    monkeypatch.setattr(catalog, "builtin_card", lambda name: card)
    monkeypatch.setattr(script, "builtin_names", lambda: ["stresnet-x2"])
    script.cards(tmp_path / "cards.md")
    lines = [
        line
        for line in (tmp_path / "cards.md").read_text().splitlines()
        if line.startswith("| ") and "(c) phantom" in line
    ]
    row = results["lung1-001-x2"][script.PHANTOM_MODEL]
    assert len(lines) == 2 and lines[1].startswith("| lung1-001-x2 | (c) phantom-trained quick model (FP32) |")
    assert f"| {row['psnr_paper_window_db']:.2f} |" in lines[1] and f"| {row['psnr_body_db']:.2f} |" in lines[1]


def test_a_deployed_model_folder_runs_as_openvino_int8(evaluation, script, tmp_path):
    from ctdenoise.inference import quantize_model

    _, model = evaluation
    low = central_crop_yx(central_slab(read_volume(EXAMPLE_LOW_DOSE), 8), (32, 32))
    result = quantize_model(
        model, [low], tmp_path / "int8", n_patches=4, patch_zyx=(4, 16, 16), n_eval_patches=2, progress=False
    )
    z_scale, (_, precision, runtime) = script.phantom_model_entry(result.model_dir)
    assert (z_scale, precision, runtime) == (2, "int8", "openvino")


def test_cards_show_the_cpu_budget_runs_and_widths(script, tmp_path):
    scores = {"psnr_body_db": 35.04, "psnr_paper_window_db": 35.7}
    run = {
        "z_scale": 2,
        "model": {"arch": "stresnet", "features": 32, "blocks": 4},
        "steps": 1600,
        "batch_size": 4,
        "patch_zyx": [8, 64, 64],
        "precision": "fp32",
        "train_s": 1752.0,
        "builtin": "stresnet-x2",
        "scans": {
            "lidc-idri-0003": {
                "input": {"psnr_body_db": 31.77, "psnr_paper_window_db": 32.94},
                "best_gaussian": {"psnr_body_db": 31.76, "psnr_paper_window_db": 32.93},
                "cpu_budget": scores,
                "builtin_gpu": {"psnr_body_db": 35.7, "psnr_paper_window_db": 36.19},
            }
        },
    }
    width = {"features": 16, "z_scale": 1, "macs_per_output_voxel": 32000.0, "seconds": 20.87, "gops": 269}
    (tmp_path / "budget.json").write_text(json.dumps({"runs": {"cpu-budget-stresnet-x2": run}}))
    (tmp_path / "widths.json").write_text(json.dumps({"rows": [{**width, "peak_rss_gb": 2.13}]}))
    script.cards(tmp_path / "cards.md", cpu_budget=tmp_path / "budget.json", widths=tmp_path / "widths.json")
    text = (tmp_path / "cards.md").read_text()
    assert "| 16 | ×1 | 300×512² | 32,000 | 20.9 | 269 | 2.13 |" in text
    assert (
        "| `cpu-budget-stresnet-x2`: stresnet F=32 N=4 z×2 | 1600 steps × 4 × [8, 64, 64], fp32 | 1752 | "
        "lidc-idri-0003 | 31.77 (32.94) | 31.76 (32.93) | 35.04 (35.70) | 35.70 (36.19) (stresnet-x2) |"
    ) in text


def test_whole_scan_timing_runs_the_network_it_is_given():
    from ctdenoise.inference.benchmark import time_whole_scan

    config = ModelConfig.of("stresnet", features=4, blocks=1, head_kernel=3, z_scale=1)
    row = time_whole_scan(
        (6, 24, 24), (1.0, 0.7, 0.7), "tiny", runtime="torch", precision="fp32", progress=False, config=config
    )
    assert row["settings"]["features"] == 4 and row["output_shape_zyx"] == [6, 24, 24] and row["seconds"] > 0
