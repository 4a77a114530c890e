import hashlib
import json

import numpy as np
import openvino as ov
import pytest
from inference_helpers import ct_like_hu

from ctdenoise.errors import CtDenoiseError
from ctdenoise.inference import denoise_volume, quantize_model
from ctdenoise.inference import quantize as quantize_module
from ctdenoise.inference.loading import from_loaded_model
from ctdenoise.inference.quantize import sample_calibration_patches
from ctdenoise.models import HUNormalization, LoadedModel, ModelConfig, build_model
from ctdenoise.volume import Volume


def test_int8_folder_is_self_describing(tiny_int8_folder, tiny_model_file):
    description = json.loads((tiny_int8_folder / "model.json").read_text())
    assert description["normalization"] == HUNormalization().as_dict()
    assert description["z_scale"] == 2 and description["config"]["features"] == 4
    assert set(description["files"]) == {"openvino_fp32", "openvino_int8", "onnx_fp32", "onnx_int8"}
    provenance = description["provenance"]
    assert provenance["source_sha256"] == hashlib.sha256(tiny_model_file.read_bytes()).hexdigest()
    gate = provenance["quantization"]["accuracy_gate"]
    assert gate["psnr_int8_vs_fp32"] > 35 and 0.9 < gate["ssim_int8_vs_fp32"] <= 1.0
    assert provenance["quantization"]["n_calibration_patches"] == 16


def test_first_convolution_stays_in_float_and_the_others_are_int8(tiny_int8_folder):
    model = ov.Core().read_model(str(tiny_int8_folder / "model_int8.xml"))
    convolutions = [op for op in model.get_ordered_ops() if op.get_type_name() == "Convolution"]
    feeders = [conv.input(0).get_source_output().get_node().get_type_name() for conv in convolutions]
    assert feeders[0] == "Parameter"
    assert all(feeder == "FakeQuantize" for feeder in feeders[1:])


def test_int8_denoising_is_close_to_fp32(tiny_int8_folder, low_dose_volume):
    int8 = denoise_volume(low_dose_volume, tiny_int8_folder, "int8", "openvino", progress=False)
    fp32 = denoise_volume(low_dose_volume, tiny_int8_folder, "fp32", "openvino", progress=False)
    assert int8.same_grid_as(fp32)
    clipped = [np.clip(v.hu, -1000, 500) for v in (int8, fp32)]
    psnr = 10 * np.log10(1500.0**2 / np.mean((clipped[0] - clipped[1]) ** 2))
    assert psnr > 35


def test_calibration_patches_come_from_inside_the_body():
    hu = np.full((10, 64, 64), -1000.0, dtype=np.float32)
    hu[:, 40:60, 40:60] = 40.0  # a small body in a large field of air
    patches = sample_calibration_patches([Volume(hu)], HUNormalization(), 12, (4, 16, 16), seed=3)
    assert len(patches) == 12
    for patch in patches:
        body = HUNormalization().to_hu(patch.network_input) > -500
        assert patch.network_input.shape == (1, 1, 4, 16, 16) and body.mean() >= 0.2


def test_gate_reports_psnr_loss_with_references_and_warns_beyond_the_limit(
    tmp_path, tiny_model_file, low_dose_volume, monkeypatch
):
    reference = Volume(ct_like_hu((16, 32, 32), seed=9), spacing_mm=(1.0, 0.8, 0.8))
    monkeypatch.setattr(quantize_module, "MAX_PSNR_LOSS_DB", -1e9)  # any result now counts as a loss
    with pytest.warns(UserWarning, match="dB PSNR"):
        result = quantize_model(
            tiny_model_file,
            [low_dose_volume],
            tmp_path / "gated",
            reference_volumes=[reference],
            n_patches=4,
            patch_zyx=(4, 16, 16),
            n_eval_patches=2,
            progress=False,
        )
    accuracy = result.accuracy
    assert accuracy["psnr_loss_db"] == pytest.approx(
        accuracy["psnr_fp32_vs_reference"] - accuracy["psnr_int8_vs_reference"]
    )
    assert result.warnings


def test_quantize_needs_calibration_and_refuses_to_clobber(tmp_path, tiny_model_file, low_dose_volume):
    with pytest.raises(CtDenoiseError, match="calibration"):
        quantize_model(tiny_model_file, [], tmp_path / "none", progress=False)
    (tmp_path / "taken").mkdir()
    with pytest.raises(CtDenoiseError, match="already exists"):
        quantize_model(tiny_model_file, [low_dose_volume], tmp_path / "taken", progress=False)


@pytest.mark.parametrize("z_scale", [2, 1])
def test_the_global_residual_add_is_found_in_the_exported_graph(z_scale):
    """Accuracy-controlled INT8 keeps this add in float; it must be found behind the phase form's interleave."""
    config = ModelConfig.of("stresnet", features=4, blocks=1, z_scale=z_scale, head_kernel=3)
    model = from_loaded_model(LoadedModel(build_model(config).eval(), config, HUNormalization()))
    ov_model = model.openvino_fp32_model()
    name = quantize_module.output_residual_add_name(ov_model)
    add = next(op for op in ov_model.get_ordered_ops() if op.get_friendly_name() == name)
    assert add.get_type_name() == "Add"

    def reads_the_input(node) -> bool:  # the input itself, or its nearest z-upsample
        while node.get_type_name() in ("Interpolate", "Convert"):
            node = node.input_value(0).get_node()
        return node.get_type_name() == "Parameter"

    assert any(reads_the_input(value.get_node()) for value in add.input_values())
