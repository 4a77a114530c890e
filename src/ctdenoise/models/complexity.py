"""Parameter and multiply-accumulate (MAC) counts, measured on the real module graph (on the meta device)."""

from __future__ import annotations

import torch
from torch import nn

from ctdenoise.models.config import ModelConfig, build_model
from ctdenoise.models.phase_form import inference_form


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters (weights + biases)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def macs_per_output_voxel(
    config: ModelConfig, input_zyx: tuple[int, int, int] = (4, 512, 512), inference: bool = False
) -> float:
    """Convolution MACs per output voxel (padding counted as real multiplies, biases and adds not counted).

    ``inference=True`` counts the form that inference runs (``phase_form.inference_form``: for z×2 networks the
    upsampling stages on the input grid, zero taps included) instead of the trained form.

    Runs one forward pass on the meta device (no memory, no arithmetic) and sums, for every ``Conv3d``, output
    elements × (C_in / groups) × kernel volume, and for every ``ConvTranspose3d`` (which scatters each input
    element) input elements × (C_out / groups) × kernel volume. Interior and border voxels cost the same in this
    convention, so the result is independent of ``input_zyx`` for padded convolutions; for networks with unpadded
    ones (RED-CNN) it is the cost of a ``input_zyx`` input (default: 512×512 slices, a whole CT slice).
    """
    with torch.device("meta"):
        model = build_model(config)
        if inference:
            model = inference_form(model)
    total_macs = 0

    def count(module: nn.Conv3d | nn.ConvTranspose3d, inputs: tuple, output: torch.Tensor) -> None:
        nonlocal total_macs
        kernel_volume = module.kernel_size[0] * module.kernel_size[1] * module.kernel_size[2]
        if isinstance(module, nn.ConvTranspose3d):
            total_macs += inputs[0].numel() * (module.out_channels // module.groups) * kernel_volume
        else:
            total_macs += output.numel() * (module.in_channels // module.groups) * kernel_volume

    convolutions = (nn.Conv3d, nn.ConvTranspose3d)
    handles = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, convolutions)]
    output = model(torch.empty((1, 1, *input_zyx), device="meta"))
    for handle in handles:
        handle.remove()
    return total_macs / output.numel()
