"""Every runtime × precision path against PyTorch FP32 eager on the same tiny network and input.

Tolerances: FP32 paths (OpenVINO with INFERENCE_PRECISION_HINT=f32, ONNX Runtime) ≤ 1e-4 of the output's largest
magnitude; BF16 (8-bit mantissa) ≥ 45 dB PSNR and INT8 ≥ 35 dB PSNR over the reference output's range.
"""

import os

import numpy as np
import pytest
from inference_helpers import ct_like_hu

from ctdenoise.errors import CtDenoiseError
from ctdenoise.inference import load_inference_model, make_predictor
from ctdenoise.inference.runtimes import COMBINATIONS, RUNTIMES, OpenVINOPredictor
from ctdenoise.models import HUNormalization


def psnr_db(output: np.ndarray, reference: np.ndarray) -> float:
    return float(10 * np.log10(np.ptp(reference) ** 2 / np.mean((output - reference) ** 2)))


@pytest.fixture(scope="module")
def network_input() -> np.ndarray:
    return HUNormalization().to_model(ct_like_hu((6, 24, 20), seed=5))[None, None]


@pytest.fixture(scope="module")
def reference(tiny_model_file, network_input) -> np.ndarray:
    return make_predictor(load_inference_model(tiny_model_file), "torch", "fp32")(network_input)


@pytest.mark.parametrize("runtime", ["openvino", "onnxruntime"])
def test_fp32_runtimes_match_torch_fp32(tiny_model_file, network_input, reference, runtime):
    output = make_predictor(load_inference_model(tiny_model_file), runtime, "fp32")(network_input)
    assert output.shape == (1, 1, 12, 24, 20)
    assert np.abs(output - reference).max() <= 1e-4 * np.abs(reference).max()


@pytest.mark.parametrize("runtime", ["torch", "openvino"])
def test_bf16_runtimes_stay_close_to_fp32(tiny_model_file, network_input, reference, runtime):
    output = make_predictor(load_inference_model(tiny_model_file), runtime, "bf16")(network_input)
    assert psnr_db(output, reference) >= 45.0
    assert not np.array_equal(output, reference)  # it really ran in reduced precision


@pytest.mark.parametrize("runtime", ["openvino", "onnxruntime"])
def test_int8_runtimes_stay_close_to_fp32(tiny_int8_folder, network_input, reference, runtime):
    output = make_predictor(load_inference_model(tiny_int8_folder), runtime, "int8")(network_input)
    assert psnr_db(output, reference) >= 35.0


def test_model_folder_fp32_ir_matches_torch(tiny_int8_folder, network_input, reference):
    output = make_predictor(load_inference_model(tiny_int8_folder), "openvino", "fp32")(network_input)
    assert np.abs(output - reference).max() <= 1e-4 * np.abs(reference).max()


def test_openvino_dynamic_and_static_shapes_agree_across_tile_shapes(tiny_model_file):
    model = load_inference_model(tiny_model_file).openvino_fp32_model()
    static, dynamic = OpenVINOPredictor(model, "fp32"), OpenVINOPredictor(model, "fp32", static_shapes=False)
    for shape in [(4, 16, 16), (5, 12, 20)]:
        tile = HUNormalization().to_model(ct_like_hu(shape, seed=7))[None, None]
        np.testing.assert_allclose(static(tile), dynamic(tile), rtol=0, atol=1e-5)
    assert len(static._compiled) == 2  # one compiled model per tile shape


def test_torch_runtime_refuses_int8_with_a_hint(tiny_model_file):
    with pytest.raises(CtDenoiseError, match="quantize"):
        make_predictor(load_inference_model(tiny_model_file), "torch", "int8")


def test_a_lone_int8_onnx_file_says_it_is_int8(tiny_int8_folder):
    assert load_inference_model(tiny_int8_folder / "model_int8.onnx").available() == [("onnxruntime", "int8")]


def test_the_runtime_registry_decides_what_each_kind_of_model_can_run(tiny_model_file, tiny_int8_folder):
    """A checkpoint runs every float pair; a quantized folder adds INT8 and needs no PyTorch network."""
    assert load_inference_model(tiny_model_file).available() == [
        ("torch", "fp32"),
        ("torch", "bf16"),
        ("openvino", "fp32"),
        ("openvino", "bf16"),
        ("onnxruntime", "fp32"),
    ]
    folder = load_inference_model(tiny_int8_folder)
    assert ("openvino", "int8") in folder.available() and ("torch", "fp32") not in folder.available()
    assert set(COMBINATIONS) == {  # what the benchmark times: the seven pairs of the speed table
        ("torch", "fp32"),
        ("torch", "bf16"),
        ("openvino", "fp32"),
        ("openvino", "bf16"),
        ("openvino", "int8"),
        ("onnxruntime", "fp32"),
        ("onnxruntime", "int8"),
    }
    assert set(RUNTIMES) == {"torch", "openvino", "onnxruntime"}


def test_openvino_map_tiles_runs_streams_in_order_and_matches_single_calls(tiny_model_file):
    model = load_inference_model(tiny_model_file).openvino_fp32_model()
    predictor = OpenVINOPredictor(model, "fp32", streams=2)
    tiles = [HUNormalization().to_model(ct_like_hu((4, 16, 16), seed=seed))[None, None] for seed in range(5)]
    tiles.append(HUNormalization().to_model(ct_like_hu((5, 12, 20), seed=9))[None, None])  # a second shape
    outputs = list(predictor.map_tiles(iter(tiles)))
    assert len(outputs) == len(tiles)
    for tile, output in zip(tiles, outputs, strict=True):
        np.testing.assert_allclose(output, predictor(tile), rtol=0, atol=1e-5)


def test_openvino_streams_default_to_two_for_int8_only(tiny_int8_folder):
    model = load_inference_model(tiny_int8_folder)
    int8 = make_predictor(model, "openvino", "int8")
    assert int8.streams == 2 if len(os.sched_getaffinity(0)) >= 2 else 1
    assert make_predictor(model, "openvino", "fp32").streams == 1
    assert make_predictor(model, "openvino", "int8", num_threads=1).streams == 1
