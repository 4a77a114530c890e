import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from ctdenoise.errors import CtDenoiseError
from ctdenoise.inference import denoise_volume, load_inference_model
from ctdenoise.inference.export import export_model
from ctdenoise.models import HUNormalization, load_model_file


def test_onnx_export_has_dynamic_spatial_shapes_and_matches_torch(tmp_path, tiny_model_file):
    path = export_model(tiny_model_file, tmp_path / "tiny.onnx", "onnx")
    network = load_model_file(tiny_model_file).model
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])  # read by another library
    for shape in [(1, 1, 4, 16, 16), (1, 1, 7, 10, 22)]:
        x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
        with torch.no_grad():
            expected = network(torch.from_numpy(x)).numpy()
        output = session.run(None, {"low_dose": x})[0]
        assert output.shape == (1, 1, 2 * shape[2], shape[3], shape[4])
        assert np.abs(output - expected).max() <= 1e-4 * np.abs(expected).max()


def test_onnx_file_describes_itself_and_denoises_like_the_checkpoint(tmp_path, tiny_model_file, low_dose_volume):
    path = export_model(tiny_model_file, tmp_path / "tiny.onnx", "onnx")
    metadata = {entry.key: entry.value for entry in onnx.load(str(path)).metadata_props}
    description = json.loads(metadata["ctdenoise"])
    assert description["normalization"] == HUNormalization().as_dict()
    assert description["z_scale"] == 2 and description["arch"] == "stresnet"
    from_onnx = denoise_volume(low_dose_volume, path, "fp32", "onnxruntime", progress=False)
    from_torch = denoise_volume(low_dose_volume, tiny_model_file, "fp32", "torch", progress=False)
    np.testing.assert_allclose(from_onnx.hu, from_torch.hu, rtol=0, atol=0.05)  # HU
    assert from_onnx.same_grid_as(from_torch)


def test_openvino_export_folder_runs_fp32_and_bf16(tmp_path, tiny_model_file, low_dose_volume):
    folder = export_model(tiny_model_file, tmp_path / "tiny_ov", "openvino")
    assert {p.name for p in folder.iterdir()} == {"model.json", "model_fp32.xml", "model_fp32.bin"}
    model = load_inference_model(folder)
    assert ("openvino", "bf16") in model.available() and ("openvino", "int8") not in model.available()
    from_ir = denoise_volume(low_dose_volume, folder, "fp32", "openvino", progress=False)
    from_torch = denoise_volume(low_dose_volume, tiny_model_file, "fp32", "torch", progress=False)
    np.testing.assert_allclose(from_ir.hu, from_torch.hu, rtol=0, atol=0.05)


def test_export_refuses_to_clobber_and_bad_names(tmp_path, tiny_model_file):
    (tmp_path / "taken.onnx").write_bytes(b"x")
    with pytest.raises(CtDenoiseError, match="already exists"):
        export_model(tiny_model_file, tmp_path / "taken.onnx", "onnx")
    with pytest.raises(CtDenoiseError, match=".onnx"):
        export_model(tiny_model_file, tmp_path / "model.bin", "onnx")
    with pytest.raises(CtDenoiseError, match="unknown export format"):
        export_model(tiny_model_file, tmp_path / "m", "tflite")
