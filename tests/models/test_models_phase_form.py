"""The phase form of the z×2 networks computes the same function as the trained (nearest-upsample) form."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ctdenoise.models import SRResNet3D, STResNet
from ctdenoise.models.phase_form import PhaseFormNetwork, inference_form, interleaved_tail_conv, upsampled_conv_phases


def trained_like(network: nn.Module, seed: int) -> nn.Module:
    """Random weights everywhere, the zero-initialised tail included (else the tail would hide errors)."""
    torch.manual_seed(seed)
    for parameter in network.parameters():
        nn.init.normal_(parameter, std=0.15)
    return network.eval()


NETWORKS = [
    ("srresnet", lambda: SRResNet3D(features=6, blocks=2, z_scale=2, head_kernel=3)),
    ("stresnet", lambda: STResNet(features=6, blocks=2, z_scale=2, head_kernel=5)),
    ("stresnet-no-temporal-relu", lambda: STResNet(features=5, blocks=1, z_scale=2, temporal_relu=False)),
]


@pytest.mark.parametrize(("name", "make"), NETWORKS, ids=[name for name, _ in NETWORKS])
@pytest.mark.parametrize("shape", [(2, 1, 5, 11, 13), (1, 1, 1, 7, 6), (1, 1, 8, 16, 16)])
def test_phase_form_equals_the_trained_network(name, make, shape):
    network = trained_like(make(), seed=len(name))
    x = torch.randn(shape)
    with torch.no_grad():
        expected = network(x)
        actual = PhaseFormNetwork(network).eval()(x)
    assert actual.shape == expected.shape == (shape[0], 1, 2 * shape[2], *shape[3:])
    assert torch.allclose(actual, expected, rtol=0, atol=1e-5 * expected.abs().max().item())


def test_upsampled_conv_phases_equal_a_conv_after_nearest_upsampling():
    conv = nn.Conv3d(3, 4, kernel_size=(3, 1, 1), padding=(1, 0, 0))
    x = torch.randn(1, 3, 6, 4, 5)
    expected = conv(nn.functional.interpolate(x, scale_factor=(2, 1, 1), mode="nearest"))
    even, odd = upsampled_conv_phases(conv)
    assert torch.allclose(even(x), expected[:, :, 0::2], atol=1e-6)
    assert torch.allclose(odd(x), expected[:, :, 1::2], atol=1e-6)


def test_interleaved_tail_conv_equals_the_conv_on_the_interleaved_sequence():
    conv = nn.Conv3d(3, 1, kernel_size=3, padding=1)
    even, odd = torch.randn(1, 3, 5, 4, 4), torch.randn(1, 3, 5, 4, 4)
    interleaved = torch.stack([even, odd], dim=3).reshape(1, 3, 10, 4, 4)
    expected = conv(interleaved)
    parts = interleaved_tail_conv(conv)(torch.cat([even, odd], dim=0))
    actual = parts[:1, 0:2] + parts[1:, 2:4]
    assert torch.allclose(actual[:, 0], expected[:, 0, 0::2], atol=1e-6)
    assert torch.allclose(actual[:, 1], expected[:, 0, 1::2], atol=1e-6)


def test_phase_form_makes_no_z_upsampled_feature_map():
    network = PhaseFormNetwork(trained_like(STResNet(features=4, blocks=1, z_scale=2), seed=3))
    assert not any(isinstance(module, nn.Upsample) for module in network.modules())


def test_inference_form_keeps_same_grid_networks():
    network = STResNet(features=4, blocks=1, z_scale=1)
    assert inference_form(network) is network
    with pytest.raises(ValueError, match="z×2"):
        PhaseFormNetwork(network)


def test_folding_refuses_convs_it_cannot_fold():
    with pytest.raises(ValueError, match="3-tap"):
        upsampled_conv_phases(nn.Conv3d(2, 2, kernel_size=(1, 3, 3), padding=(0, 1, 1)))
    with pytest.raises(ValueError, match="C→1"):
        interleaved_tail_conv(nn.Conv3d(2, 2, kernel_size=3, padding=1))
