"""Why the built-ins' INT8 loses more on the phantom test split than on real CT, and what keeping it costs.

    python scripts/int8_phantom_precision.py --name stresnet-x1 --pairs builtin-pairs --cache builtin-eval \\
        --json benchmarks/results/int8_phantom.json

For one built-in (its FP32 weights in ``--runs``), post-training INT8 variants are scored on 8 patches of the
phantom test subject ``phantom-006`` and of the held-out real scan ``lidc-idri-0003`` (the cached 10 %-dose cases
of ``build_builtin_models.py evaluate``; window PSNR against full dose, as NNCF's accuracy control sees it):

* calibrated on the real scans' training parts (what ships) or on them plus three phantom training subjects;
* NNCF preset PERFORMANCE or MIXED; activation ranges min-max, histogram or mean quantile; channel alignment;
  full bias correction; the first residual block kept in float;
* NNCF accuracy control (what ``build_builtin_models.py package`` runs) with phantom patches among its validation
  patches: how many convolutions it keeps in float, and the wall time of a 100×512² z×1 scan against the
  shipped INT8 folder (one run each, after a warm-up).

Writes the rows to ``--json`` (the model cards quote them).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import nncf
import openvino as ov
from nncf.quantization.range_estimator import RangeEstimatorParametersSet

from ctdenoise.builtin.catalog import BUILTIN_MODELS_DIR
from ctdenoise.builtin.held_out import case_paths
from ctdenoise.builtin.training_data import REAL_TRAINING_SCANS
from ctdenoise.inference.benchmark import synthetic_ct_hu
from ctdenoise.inference.denoise import denoise_volume
from ctdenoise.inference.loading import load_inference_model
from ctdenoise.inference.quantize import (
    first_convolution_name,
    output_residual_add_name,
    quantize_model,
    sample_calibration_patches,
    window_psnr_of_patches,
)
from ctdenoise.io import read_volume
from ctdenoise.volume import Volume

PHANTOM_TRAINING = ("phantom-000", "phantom-002", "phantom-004")
HELD_OUT = ("phantom-006", "lidc-idri-0003")
N_PATCHES, N_TEST_PATCHES = 36, 8
#: (label, calibration with phantoms, preset, advanced parameters, fast bias correction, first block in float)
VARIANTS = [
    ("real calibration, PERFORMANCE (plain post-training)", False, "performance", {}, True, False),
    ("real calibration, MIXED", False, "mixed", {}, True, False),
    ("real + phantom calibration, MIXED", True, "mixed", {}, True, False),
    ("+ histogram ranges", True, "mixed", {"activations_range_estimator_params": "HISTOGRAM"}, True, False),
    ("+ mean-quantile ranges", True, "mixed", {"activations_range_estimator_params": "MEAN_QUANTILE"}, True, False),
    ("+ channel alignment", True, "mixed", {"disable_channel_alignment": False}, True, False),
    ("+ full bias correction", True, "mixed", {}, False, False),
    ("+ first residual block in float", True, "mixed", {}, True, True),
]


def volumes(subjects: list[Path], z_scale: int) -> tuple[list[Volume], list[Volume]]:
    return [read_volume(s / f"low_dose_x{z_scale}.nii.gz") for s in subjects], [
        read_volume(s / "full_dose.nii.gz") for s in subjects
    ]


def float_convolutions(model: ov.Model) -> int:
    """Convolutions whose activation input is not fake-quantized (they run in float)."""
    return sum(
        op.get_type_name() == "Convolution" and op.input_value(0).get_node().get_type_name() != "FakeQuantize"
        for op in model.get_ordered_ops()
    )


def scan_seconds(folder: Path, n_slices: int = 100) -> float:
    """Wall seconds of one z×1 denoise of a synthetic n×512² scan with the folder's INT8 (after a warm-up)."""
    scan = Volume(synthetic_ct_hu((n_slices, 512, 512)), spacing_mm=(1.0, 0.7, 0.7))
    denoise_volume(Volume(scan.hu[:8].copy(), spacing_mm=scan.spacing_mm), folder, "int8", "openvino", progress=False)
    start = time.perf_counter()
    denoise_volume(scan, folder, "int8", "openvino", progress=False)
    return round(time.perf_counter() - start, 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="stresnet-x1", help="built-in name (its FP32 weights in --runs)")
    parser.add_argument("--runs", type=Path, default=Path("runs"))
    parser.add_argument("--pairs", type=Path, default=Path("builtin-pairs"))
    parser.add_argument("--cache", type=Path, default=Path("builtin-eval"))
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/int8_phantom.json"))
    args = parser.parse_args()
    checkpoint = args.runs / f"builtin-{args.name}" / "best.pt"
    model = load_inference_model(checkpoint)
    z_scale, fp32 = model.z_scale, model.openvino_fp32_model()
    size = (16 // z_scale, 128, 128)
    real = volumes([args.pairs / f"{scan}-train" for scan in REAL_TRAINING_SCANS], z_scale)
    phantom = volumes([args.pairs / name for name in PHANTOM_TRAINING], z_scale)
    mixed = (real[0] + phantom[0], real[1] + phantom[1])
    tests = {}
    for case in HELD_OUT:
        full_path, low_paths = case_paths(args.cache, case)
        low, full = read_volume(low_paths[z_scale]), read_volume(full_path)
        tests[case] = sample_calibration_patches([low], model.normalization, N_TEST_PATCHES, size, z_scale, [full], 5)
    core = ov.Core()

    def score(ov_model: ov.Model) -> dict[str, float]:
        compiled = core.compile_model(ov_model, "CPU")
        return {
            case: round(window_psnr_of_patches(lambda x: compiled(x)[0], patches, model.normalization), 3)
            for case, patches in tests.items()
        }

    rows = [{"variant": "FP32", "psnr_db": score(fp32), "float_convolutions": float_convolutions(fp32)}]
    print(rows[-1], flush=True)
    kept_float = [first_convolution_name(fp32)] + [name for name in [output_residual_add_name(fp32)] if name]
    first_block = [
        op.get_friendly_name()
        for op in fp32.get_ordered_ops()
        if op.get_type_name() == "Convolution" and "__module.body.0." in op.get_friendly_name()
    ]
    for label, with_phantoms, preset, advanced, fast_bias, block_float in VARIANTS:
        low, full = mixed if with_phantoms else real
        patches = sample_calibration_patches(low, model.normalization, N_PATCHES, size, z_scale, full, 0)
        options = {
            key: getattr(RangeEstimatorParametersSet, value) if key.startswith("activations_range") else value
            for key, value in advanced.items()
        }
        quantized = nncf.quantize(
            fp32,
            nncf.Dataset([patch.network_input for patch in patches]),
            subset_size=len(patches),
            preset=nncf.QuantizationPreset(preset),
            fast_bias_correction=fast_bias,
            ignored_scope=nncf.IgnoredScope(names=kept_float + (first_block if block_float else [])),
            advanced_parameters=nncf.AdvancedQuantizationParameters(**options),
        )
        rows.append(
            {"variant": label, "psnr_db": score(quantized), "float_convolutions": float_convolutions(quantized)}
        )
        print(rows[-1], flush=True)
    with tempfile.TemporaryDirectory(prefix="int8-phantom-") as scratch:
        folder = Path(scratch) / args.name
        quantize_model(
            checkpoint,
            mixed[0],
            folder,
            reference_volumes=mixed[1],
            n_patches=N_PATCHES,
            n_eval_patches=12,
            patch_zyx=size,
            max_drop_db=0.05,
            progress=False,
        )
        controlled = core.read_model(folder / "model_int8.xml")
        rows.append(
            {
                "variant": "accuracy control (max drop 0.05 dB), real + phantom patches",
                "psnr_db": score(controlled),
                "float_convolutions": float_convolutions(controlled),
                "seconds_100x512x512": scan_seconds(folder),
                "shipped_seconds_100x512x512": scan_seconds(BUILTIN_MODELS_DIR / args.name),
            }
        )
        print(rows[-1], flush=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"name": args.name, "rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
