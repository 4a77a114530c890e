"""Session fixtures of the inference tests: a tiny model file, a CT-like volume and an INT8 model folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from inference_helpers import TINY_Z1, TINY_Z2, ct_like_hu, randomised_model

from ctdenoise.models import HUNormalization, save_model_file
from ctdenoise.volume import Volume


@pytest.fixture(scope="session")
def tiny_model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("models") / "tiny_stresnet.pt"
    return save_model_file(path, randomised_model(TINY_Z2), TINY_Z2, HUNormalization(), {"note": "test"})


@pytest.fixture(scope="session")
def tiny_z1_model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("models") / "tiny_srresnet_z1.pt"
    return save_model_file(path, randomised_model(TINY_Z1, seed=1), TINY_Z1, HUNormalization())


@pytest.fixture(scope="session")
def low_dose_volume() -> Volume:
    return Volume(ct_like_hu((8, 32, 32)), spacing_mm=(2.0, 0.8, 0.8), origin_mm=(-12.0, -15.0, 100.0))


@pytest.fixture(scope="session")
def tiny_int8_folder(tmp_path_factory: pytest.TempPathFactory, tiny_model_file: Path, low_dose_volume: Volume) -> Path:
    """An INT8 model folder (OpenVINO IR FP32 + INT8, ONNX FP32 + INT8) of the tiny network."""
    from ctdenoise.inference import quantize_model

    out = tmp_path_factory.mktemp("int8") / "tiny_int8"
    quantize_model(
        tiny_model_file,
        [low_dose_volume],
        out,
        n_patches=16,
        patch_zyx=(4, 16, 16),
        n_eval_patches=4,
        onnx=True,
        progress=False,
    )
    return out
