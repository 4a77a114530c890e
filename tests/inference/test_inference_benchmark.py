import numpy as np
import pytest

from ctdenoise.inference import run_benchmark
from ctdenoise.inference.benchmark import RESULT_KEYS, benchmark_table, measure_matmul_peaks
from ctdenoise.inference.runtimes import RUNTIMES
from ctdenoise.models import NETWORKS, macs_per_output_voxel, preset_config


@pytest.fixture(scope="module")
def report():
    return run_benchmark(shape_zyx=(2, 24, 24), preset="tiny", repetitions=1, warmup=0, progress=False)


def test_every_architecture_runtime_and_precision_is_timed(report):
    combos = {(row["model"], row["runtime"], row["precision"]) for row in report["results"]}
    assert (
        len(combos) == len(NETWORKS) * sum(len(runtime.precisions) for runtime in RUNTIMES.values())
        and ("stresnet", "openvino", "int8") in combos
        and ("srresnet", "onnxruntime", "int8") in combos
    )
    assert all(set(row) == set(RESULT_KEYS) for row in report["results"])


def test_ratios_are_relative_to_srresnet_fp32_eager(report):
    by_key = {(row["model"], row["runtime"], row["precision"]): row for row in report["timings"]}
    baseline = by_key[("srresnet", "torch", "fp32")]
    assert baseline["speedup_vs_srresnet_fp32"] == pytest.approx(1.0)
    for row in report["timings"]:
        assert row["speedup_vs_srresnet_fp32"] == pytest.approx(baseline["median_s"] / row["median_s"])
        assert row["min_s"] <= row["median_s"] <= row["max_s"]


def test_gops_follow_the_models_mac_count(report):
    row = next(
        r for r in report["timings"] if (r["model"], r["runtime"], r["precision"]) == ("stresnet", "torch", "fp32")
    )
    config = preset_config("tiny", "stresnet")
    operations = 2 * macs_per_output_voxel(config, inference=True) * (2 * config.z_scale * 24 * 24)
    assert row["gops"] == pytest.approx(operations / row["median_s"] / 1e9)
    assert "rows" not in str(benchmark_table(report))  # the table renders


def test_matmul_peaks_are_positive():
    peaks = measure_matmul_peaks(size=256, repetitions=2)
    assert peaks["fp32_gops"] > 0 and peaks["bf16_gops"] > 0
    assert peaks["int8_gops"] > 0 or np.isnan(peaks["int8_gops"])


def test_peak_rss_of_a_child_is_its_own_not_its_parents():
    """A benchmark part started from a big process reports its own peak memory (getrusage's ru_maxrss keeps the
    parent's high-water mark across exec on Linux, which made bench_builtin.py report 8.4 GB for a 2 GB run)."""
    import subprocess
    import sys

    import numpy as np

    ballast = np.ones(600_000_000 // 8)  # 0.6 GB resident in this process before the child is started
    code = "from ctdenoise.inference.benchmark import peak_rss_gb; print(peak_rss_gb())"
    child_gb = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert ballast.sum() > 0 and 0.01 < child_gb < 0.4
