"""The inference form of a z×2 network: its upsampling stages rewritten as two z-phases at the input resolution.

The trained ×2 networks upsample the body's features to the 1 mm grid with a nearest z-upsample, then run the
upsampling conv and the tail there. Nearest upsampling repeats every slice, so each output slice is one of two
*phases* (even: slice 2k, odd: slice 2k+1), and every operation after it can be computed per phase on the
input grid, with weights folded from the trained ones (ESPCN-style sub-pixel convolution, here along z):

* a spatial 1×3×3 conv (and a ReLU) commutes with the z-upsample, so it runs once on the input grid, at half
  the cost;
* a conv with a 3-tap z-kernel ``(W0, W1, W2)`` after the upsample gives the even phase ``W0·s[k-1] + (W1+W2)·s[k]``
  and the odd phase ``(W0+W1)·s[k] + W2·s[k+1]``: two convs on the input grid (each with one zero tap) instead
  of one conv on twice the slices;
* the two phases then travel on the batch axis, so the tail's spatial conv runs on both as one ordinary conv;
* the tail's last conv sees the interleaved phases ``a0[0], a1[0], a0[1], ...``, so its 3-tap z-kernel becomes a
  C→4 conv run on both phases whose outputs, summed across the phases, are the even and odd output slices.

Only the one-channel output is interleaved at the end; no F-channel tensor on the 1 mm grid is ever made by an
upsample. The result is the same function (equal to float rounding, tested), with fewer MACs and less memory
traffic in every runtime: the form ctdenoise exports, quantizes and runs. Training keeps the original form.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ctdenoise.models.srresnet3d import SRResNet3D


def _conv_like(conv: nn.Conv3d, weight: Tensor, bias: Tensor, padding: tuple[int, int, int]) -> nn.Conv3d:
    """A Conv3d holding ``weight``/``bias`` (folded from ``conv``), with the given padding."""
    out_channels, in_channels, *kernel = weight.shape
    folded = nn.Conv3d(in_channels, out_channels, kernel_size=tuple(kernel), padding=padding)
    with torch.no_grad():
        folded.weight.copy_(weight)
        folded.bias.copy_(bias)
    return folded.to(device=conv.weight.device, dtype=conv.weight.dtype)


def _z_taps(conv: nn.Conv3d) -> tuple[Tensor, Tensor, Tensor]:
    """The three z-taps of a stride-1 conv with a 3-tap z-kernel and z-padding 1 (what phase folding needs)."""
    weight = conv.weight.detach()
    if weight.shape[2] != 3 or conv.padding[0] != 1 or conv.stride != (1, 1, 1):
        raise ValueError(f"phase folding needs a stride-1 conv with a 3-tap z-kernel and z-padding 1, got {conv}")
    return weight[:, :, 0:1], weight[:, :, 1:2], weight[:, :, 2:3]


def upsampled_conv_phases(conv: nn.Conv3d) -> tuple[nn.Conv3d, nn.Conv3d]:
    """The even- and odd-phase convs equal to ``conv`` (z-kernel 3, z-padding 1) after a nearest z×2 upsample.

    Each keeps a zero tap so that both are ordinary 3-tap convs with ``conv``'s padding.
    """
    w0, w1, w2 = _z_taps(conv)
    zero = torch.zeros_like(w0)
    bias = conv.bias.detach()
    even = _conv_like(conv, torch.cat([w0, w1 + w2, zero], dim=2), bias, tuple(conv.padding))
    odd = _conv_like(conv, torch.cat([zero, w0 + w1, w2], dim=2), bias, tuple(conv.padding))
    return even, odd


def interleaved_tail_conv(conv: nn.Conv3d) -> nn.Conv3d:
    """A C→4 conv run on both phases that, summed across them, equals ``conv`` (C→1, z-kernel 3) on the interleaved
    sequence: output channels ``0:2`` of the even phase plus channels ``2:4`` of the odd phase give the
    (even, odd) output slices.

    The interleaved sequence is ``a0[0], a1[0], a0[1], ...``; with taps ``(t0, t1, t2)`` the even output slice is
    ``t0·a1[k-1] + t1·a0[k] + t2·a1[k]`` and the odd one ``t0·a0[k] + t1·a1[k] + t2·a0[k+1]``.
    """
    if conv.out_channels != 1:
        raise ValueError(f"phase folding of the tail needs a C→1 conv, got {conv}")
    t0, t1, t2 = _z_taps(conv)
    zero = torch.zeros_like(t0)
    kernels = [
        torch.cat([zero, t1, zero], dim=2),  # even phase → even output
        torch.cat([zero, t0, t2], dim=2),  # even phase → odd output
        torch.cat([t0, t2, zero], dim=2),  # odd phase → even output
        torch.cat([zero, t1, zero], dim=2),  # odd phase → odd output
    ]
    bias = conv.bias.detach()
    biases = torch.cat([bias, bias, torch.zeros_like(bias), torch.zeros_like(bias)])  # the bias is added once
    return _conv_like(conv, torch.cat(kernels, dim=0), biases, tuple(conv.padding))


class PhaseFormNetwork(nn.Module):
    """A trained z×2 ``SRResNet3D``/``STResNet`` computing the same function in phase form (see the module notes).

    The head and body are the trained modules themselves (shared, not copied); the upsampling conv's temporal
    part and the tail's last conv are folded into new convs when this is built, so build it after training.

    Args:
        network: a z×2 SRResNet3D or STResNet.

    Example:
        >>> from ctdenoise.models import STResNet
        >>> net = STResNet(features=8, blocks=1, z_scale=2).eval()
        >>> x = torch.randn(1, 1, 4, 12, 12)
        >>> torch.allclose(PhaseFormNetwork(net).eval()(x), net(x), atol=1e-5)
        True
    """

    def __init__(self, network: SRResNet3D) -> None:
        super().__init__()
        if network.z_scale != 2:
            raise ValueError("the phase form applies to z×2 networks only")
        self.head = network.head
        self.body = network.body
        self.body_conv = network.body_conv
        self.factorised = network.upsample_conv.factorised
        if self.factorised:
            self.upsample_spatial = network.upsample_conv.spatial
            self.upsample_spatial_relu = network.upsample_conv.spatial_relu
            self.tail_spatial = network.tail.spatial
            self.tail_spatial_relu = network.tail.spatial_relu
        self.upsample_even, self.upsample_odd = upsampled_conv_phases(network.upsample_conv.last_conv)
        self.tail_phases = interleaved_tail_conv(network.tail.last_conv)

    def forward(self, x: Tensor) -> Tensor:
        """Same as the original network: ``(B, 1, Z, Y, X)`` → ``(B, 1, 2Z, Y, X)``."""
        batch = x.shape[0]
        features = self.head(x)
        features = features + self.body_conv(self.body(features))
        if self.factorised:
            features = self.upsample_spatial_relu(self.upsample_spatial(features))
        # The two phases travel on the batch axis, so the tail's spatial conv runs on both as one ordinary conv.
        phases = torch.cat([self.upsample_even(features), self.upsample_odd(features)], dim=0)
        del features  # eager PyTorch frees it before the twice-as-large maps that follow
        phases = torch.relu_(phases)
        if self.factorised:
            phases = self.tail_spatial_relu(self.tail_spatial(phases))
        parts = self.tail_phases(phases)
        # + x: the global skip, since the nearest-upsampled input is x in both phases.
        output = parts[:batch, 0:2] + parts[batch:, 2:4] + x
        z, y, x_size = output.shape[2], output.shape[3], output.shape[4]
        return output.permute(0, 2, 1, 3, 4).reshape(batch, 1, 2 * z, y, x_size)


def inference_form(network: nn.Module) -> nn.Module:
    """The fastest equal form of a network for inference: the phase form for z×2 networks, else the network."""
    if isinstance(network, SRResNet3D) and network.z_scale == 2:
        return PhaseFormNetwork(network).eval()
    return network
