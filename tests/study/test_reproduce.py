"""The whole study, end to end, on a tiny cohort: every stage runs for real (phantom, simulation, six trainings,
INT8 quantization, inference, metrics, radiomics, benchmark) and the report carries the computed numbers."""

import json
import os
from pathlib import Path

import pytest

from ctdenoise.errors import CtDenoiseError
from ctdenoise.study import reproduce

TINY_STUDY = Path(__file__).with_name("tiny-study.yaml")


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory, shared_dir):
    workspace = tmp_path_factory.mktemp("workspace")
    previous = Path.cwd()
    os.chdir(workspace)  # a relative --out, as users type it: every stage must still find the others' files
    try:
        paths = reproduce(
            TINY_STUDY.resolve(),
            Path("study"),
            lpips_weights=shared_dir / "weights" / "lpips",
            real_data_dir=shared_dir / "data",
        )
    finally:
        os.chdir(previous)
    return workspace / "study", paths


def test_report_files_are_written_with_every_table1_row(tiny_study):
    out, paths = tiny_study
    results = json.loads(paths["json"].read_text())
    rows = {(row["model"], row["precision"]) for row in results["table1"]}
    networks = ("SRResNet", "STResNet", "RED-CNN")  # tiny-study.yaml's training.networks
    assert rows == {(m, p) for m in networks for p in ("FP32", "BF16", "INT8")}
    for row in results["table1"]:
        assert 0 < row["psnr_mean"] < 100 and 0 < row["ssim_mean"] <= 1 and row["lpips_mean"] >= 0
        assert row["inference_s"] > 0 and row["inference_speedup"] > 0
    markdown = paths["markdown"].read_text()
    assert "## Table 1" in markdown and "## Checks" in markdown and "Figure 2" in markdown
    html = paths["html"].read_text()
    assert html.count("data:image/png;base64,") == 4  # Figures 1–3 and the curves inlined: the report opens offline
    for figure in results["figures"].values():
        assert (out / figure).stat().st_size > 1000


def test_iq_stage_scores_fbp_and_every_method_at_every_dose(tiny_study):
    out, paths = tiny_study
    iq = json.loads(paths["json"].read_text())["iq"]
    assert set(iq["results"]) == {"FBP"} | {
        f"{m} {p}"
        for m in ("SRResNet", "STResNet", "RED-CNN")
        for p in ("FP32", "BF16", "INT8")  # tiny-study.yaml
    }
    for by_dose in iq["results"].values():
        assert set(by_dose) == {"0.25", "1"}
        assert [row["diameter_mm"] for row in by_dose["1"]["inserts"]] == [3.0, 5.0, 7.0, 10.0]
    assert len(list((out / "iq-cache").glob("phantom-*.npz"))) == 2  # the scans are cached for re-runs
    assert "Figure 3" in paths["markdown"].read_text()


def test_real_scans_section_scores_the_study_networks_and_the_builtins(tiny_study):
    _, paths = tiny_study
    cases = json.loads(paths["json"].read_text())["real_scans"]["cases"]
    assert set(cases) == {"lidc-idri-0003-x1", "lidc-idri-0003-x2"}  # tiny-study.yaml's real_scans.scans
    # The study's networks are z×2 (1 mm phantoms, 2 mm input): they run on the z×2 case, FP32 and INT8.
    study = {f"{m} {p}" for m in ("SRResNet", "STResNet", "RED-CNN") for p in ("FP32", "INT8")}
    assert study <= set(cases["lidc-idri-0003-x2"]) and not study & set(cases["lidc-idri-0003-x1"])
    assert "built-in stresnet-x1 INT8" in cases["lidc-idri-0003-x1"]
    assert "## Real scans" in paths["markdown"].read_text()


def test_int8_speedup_in_table1_is_the_benchmark_number(tiny_study):
    _, paths = tiny_study
    results = json.loads(paths["json"].read_text())
    int8 = next(r for r in results["table1"] if (r["model"], r["precision"]) == ("STResNet", "INT8"))
    measured = next(
        r
        for r in results["benchmark"]["results"]
        if (r["model"], r["runtime"], r["precision"]) == ("stresnet", "openvino", "int8")
    )
    assert int8["inference_speedup"] == measured["speedup_vs_srresnet_fp32"]


def test_resume_skips_finished_stages_and_rewrites_the_same_report(tiny_study):
    out, paths = tiny_study
    before = json.loads(paths["json"].read_text())["table1"]
    reproduce(TINY_STUDY, out, resume=True)
    after = json.loads(paths["json"].read_text())["table1"]
    assert after == before


def test_existing_output_folder_is_refused_without_resume(tiny_study):
    out, _ = tiny_study
    with pytest.raises(CtDenoiseError, match="--resume"):
        reproduce(TINY_STUDY, out)
