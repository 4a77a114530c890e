"""RED-CNN (Chen et al., IEEE TMI 2017): the paper's layout, analytic parameter and MAC counts, per-slice action."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ctdenoise.models import ModelConfig, build_model, count_parameters, macs_per_output_voxel
from ctdenoise.models.redcnn import REDCNN


@pytest.mark.parametrize(("features", "z_scale"), [(96, 1), (96, 2), (8, 2)])
def test_parameter_count_is_five_convs_and_five_deconvs_of_5x5(features: int, z_scale: int) -> None:
    f = features
    encoder = (25 * 1 * f + f) + 4 * (25 * f * f + f)
    decoder = 4 * (25 * f * f + f) + (25 * f * z_scale + z_scale)  # the last one: one channel per output phase
    assert count_parameters(REDCNN(features, z_scale)) == encoder + decoder


def test_paper_size_has_the_papers_layout() -> None:
    network = REDCNN()
    convs = [m for m in network.modules() if isinstance(m, nn.Conv3d)]
    deconvs = [m for m in network.modules() if isinstance(m, nn.ConvTranspose3d)]
    assert len(convs) == len(deconvs) == 5
    assert {m.kernel_size for m in convs + deconvs} == {(1, 5, 5)}
    assert {m.padding for m in convs + deconvs} == {(0, 0, 0)}
    assert [m.out_channels for m in convs] == [96] * 5


def test_macs_count_the_shrinking_encoder_and_growing_decoder() -> None:
    """Unpadded 5×5 layers: conv i sees (S − 4(i−1))² pixels in and writes (S − 4i)²; deconv j scatters its input."""
    f, size, z = 8, 40, 2
    encoder = sum((size - 4 * i) ** 2 * 25 * (1 if i == 1 else f) * f for i in range(1, 6))
    decoder = sum((size - 20 + 4 * (j - 1)) ** 2 * 25 * f * (z if j == 5 else f) for j in range(1, 6))
    config = ModelConfig.of("redcnn", z_scale=z, features=f)
    per_output_voxel = (encoder + decoder) / (z * size * size)
    assert macs_per_output_voxel(config, input_zyx=(1, size, size)) == pytest.approx(per_output_voxel)


def test_each_slice_is_denoised_on_its_own_within_the_receptive_field() -> None:
    """An impulse in slice 1 changes output slices 2 and 3 only, and only within 20 pixels (ten 5×5 layers)."""
    torch.manual_seed(0)
    network = build_model(ModelConfig.of("redcnn", features=4)).eval()
    for parameter in network.parameters():
        nn.init.normal_(parameter, std=0.3)
    base = torch.zeros(1, 1, 3, 61, 61)
    impulse = base.clone()
    impulse[0, 0, 1, 30, 30] = 1.0
    with torch.no_grad():
        change = (network(impulse) - network(base)).abs()[0, 0]
    assert change[[0, 1, 4, 5]].max() == 0
    assert change[2:4, 30, 30].min() > 0
    assert change[2:4, :, :10].max() == 0 and change[2:4, :10, :].max() == 0  # beyond 20 pixels of (30, 30)
    assert change[2:4, 10:51, 10:51].max() > 0
