"""Every registered network (shapes, identity start, settings round trip), and the analytic parameter/MAC counts
and kernel layout of SRResNet-3D and STResNet."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from ctdenoise.errors import CtDenoiseError
from ctdenoise.models import (
    NETWORKS,
    SIZES,
    ModelConfig,
    SRResNet3D,
    STResNet,
    build_model,
    count_parameters,
    macs_per_output_voxel,
    preset_config,
)


def conv_unit_parameters(c_in: int, c_out: int, factorised: bool) -> int:
    if factorised:  # spatial 1×3×3 C_in→C_in, temporal 3×1×1 C_in→C_out
        return 9 * c_in * c_in + c_in + 3 * c_in * c_out + c_out
    return 27 * c_in * c_out + c_out


def conv_unit_macs(c_in: int, c_out: int, factorised: bool) -> int:
    return 9 * c_in * c_in + 3 * c_in * c_out if factorised else 27 * c_in * c_out


CONFIGS = [
    ModelConfig.of(arch, features=features, blocks=blocks, z_scale=z_scale, head_kernel=head_kernel)
    for arch in ("srresnet", "stresnet")
    for features, blocks, z_scale, head_kernel in [(4, 1, 2, 3), (6, 2, 1, 5), (16, 3, 2, 5)]
]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_parameter_count_matches_the_analytic_formula(config: ModelConfig) -> None:
    f, factorised = config.settings["features"], config.arch == "stresnet"
    unit = conv_unit_parameters(f, f, factorised)
    upsampler = unit if config.z_scale == 2 else 0
    expected = (config.settings["head_kernel"] ** 3 * f + f) + 2 * config.settings["blocks"] * unit + unit + upsampler
    expected += conv_unit_parameters(f, 1, factorised)
    assert count_parameters(build_model(config)) == expected


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_macs_per_output_voxel_match_the_analytic_formula(config: ModelConfig) -> None:
    f, factorised, z = config.settings["features"], config.arch == "stresnet", config.z_scale
    unit = conv_unit_macs(f, f, factorised)
    on_input_grid = config.settings["head_kernel"] ** 3 * f + (2 * config.settings["blocks"] + 1) * unit
    on_output_grid = (unit if z == 2 else 0) + conv_unit_macs(f, 1, factorised)
    assert macs_per_output_voxel(config) == pytest.approx(on_input_grid / z + on_output_grid)


def test_stresnet_costs_12_of_27_per_body_conv_at_paper_width() -> None:
    full = macs_per_output_voxel(ModelConfig.of("srresnet", features=64, blocks=9))
    factorised = macs_per_output_voxel(ModelConfig.of("stresnet", features=64, blocks=9))
    assert 1.9 < full / factorised < 27 / 12


@pytest.mark.parametrize("z_scale", [1, 2])
@pytest.mark.parametrize("arch", list(NETWORKS))
def test_output_shape(arch: str, z_scale: int) -> None:
    model = build_model(preset_config("tiny", arch, z_scale=z_scale))
    output = model(torch.zeros(2, 1, 5, 24, 22))
    assert output.shape == (2, 1, 5 * z_scale, 24, 22)


@pytest.mark.parametrize("arch", list(NETWORKS))
def test_every_network_has_every_size_and_its_settings_round_trip(arch: str) -> None:
    assert set(NETWORKS[arch].sizes) == set(SIZES)
    for size in SIZES:
        config = preset_config(size, arch)
        assert ModelConfig.from_dict(config.as_dict()) == config
        assert count_parameters(build_model(config)) > 0
    with pytest.raises(CtDenoiseError, match=f"unknown model setting.*'colour'.*for {arch}"):
        ModelConfig.of(arch, colour=3)


def test_kernels_are_full_3d_in_srresnet_and_factorised_in_stresnet() -> None:
    blocks = 2
    srresnet = SRResNet3D(features=4, blocks=blocks, z_scale=2, head_kernel=5)
    stresnet = STResNet(features=4, blocks=blocks, z_scale=2, head_kernel=5)
    units = 2 * blocks + 3  # block convs, body conv, upsampler conv, tail
    full_kernels = [
        m.kernel_size for name, m in srresnet.named_modules() if isinstance(m, nn.Conv3d) and name != "head"
    ]
    assert full_kernels == [(3, 3, 3)] * units
    kernels = [m.kernel_size for name, m in stresnet.named_modules() if isinstance(m, nn.Conv3d) and name != "head"]
    assert kernels == [(1, 3, 3), (3, 1, 1)] * units
    assert srresnet.head.kernel_size == stresnet.head.kernel_size == (5, 5, 5)


def test_spatial_conv_never_mixes_slices() -> None:
    """A 1×3×3 conv changes only the slice it is applied to: an impulse in slice 2 stays in slice 2."""
    spatial = STResNet(features=2, blocks=1, z_scale=1, head_kernel=3).body[0].conv1.spatial
    impulse = torch.zeros(1, 2, 5, 7, 7)
    impulse[0, :, 2, 3, 3] = 1.0
    response = spatial(impulse) - spatial(torch.zeros_like(impulse))
    assert torch.count_nonzero(response[:, :, [0, 1, 3, 4]]) == 0
    assert torch.count_nonzero(response[:, :, 2]) > 0


@pytest.mark.parametrize("arch", list(NETWORKS))
def test_fresh_network_is_the_nearest_upsampled_input(arch: str) -> None:
    """The last layer starts at zero, so the output is the global residual alone: each input slice repeated twice."""
    model = build_model(preset_config("tiny", arch))
    low_dose = np.random.default_rng(0).normal(size=(1, 1, 3, 24, 23)).astype(np.float32)
    expected = np.repeat(low_dose, 2, axis=2)  # output slices 2k and 2k+1 come from input slice k
    with torch.no_grad():
        np.testing.assert_array_equal(model(torch.from_numpy(low_dose)).numpy(), expected)
        for parameter in model.parameters():
            nn.init.normal_(parameter, std=0.1)
        assert not np.allclose(model(torch.from_numpy(low_dose)).numpy(), expected)


@pytest.mark.parametrize("config", [c for c in CONFIGS if c.z_scale == 2], ids=str)
def test_inference_form_macs_match_the_analytic_formula(config: ModelConfig) -> None:
    """Phase form: upsampling and tail on the input grid for both phases (zero taps counted)."""
    f, factorised = config.settings["features"], config.arch == "stresnet"
    unit = conv_unit_macs(f, f, factorised)
    taps = 3 if factorised else 27  # z-taps × in-plane taps of the folded (temporal or full) convs
    head_and_body = config.settings["head_kernel"] ** 3 * f + (2 * config.settings["blocks"] + 1) * unit
    upsample = (9 * f * f if factorised else 0) + 2 * taps * f * f  # spatial once, then even and odd phase
    tail = 2 * (9 * f * f if factorised else 0) + 2 * taps * f * 4  # per phase: spatial, then the C→4 fold
    expected = (head_and_body + upsample + tail) / 2
    assert macs_per_output_voxel(config, inference=True) == pytest.approx(expected)
