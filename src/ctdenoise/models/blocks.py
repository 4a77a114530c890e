"""The one block definition both networks share: a 3D conv unit and the residual block built from it.

A *conv unit* is either a full 3×3×3 convolution (SRResNet-3D) or its spatial-temporal factorisation, a spatial
1×3×3 convolution, an optional ReLU, then a temporal 3×1×1 convolution (STResNet; Wei & Hsu, MIDL 2021, Fig. 1,
after Li et al., CVPR 2019). "Temporal" is the slice axis z: CT slices are treated like video frames.

INT8 is post-training quantization of the exported graph (NNCF/OpenVINO, ``ctdenoise.inference.quantize``), so
the modules here are plain convolutions, ReLUs and adds.
"""

from __future__ import annotations

from torch import Tensor, nn


class ConvUnit3d(nn.Module):
    """A 3×3×3 convolution, or its spatial 1×3×3 + temporal 3×1×1 factorisation; same output shape either way.

    Args:
        in_channels: input feature maps.
        out_channels: output feature maps.
        factorised: False → one full 3×3×3 conv (27·C_in·C_out MACs per voxel); True → spatial conv
            C_in→C_in then temporal conv C_in→C_out (9·C_in² + 3·C_in·C_out MACs per voxel). The spatial conv keeps
            the input width so that an F→1 unit (the network's tail) does not squeeze through one channel.
        temporal_relu: with ``factorised``, put a ReLU between the spatial and the temporal conv (as Li et al.
            2019 and the paper's Fig. 1 do: it makes the pair as expressive as two layers, at no cost).
    """

    def __init__(self, in_channels: int, out_channels: int, factorised: bool, temporal_relu: bool = True) -> None:
        super().__init__()
        self.factorised = factorised
        if factorised:
            self.spatial = nn.Conv3d(in_channels, in_channels, kernel_size=(1, 3, 3), padding=(0, 1, 1))
            self.spatial_relu = nn.ReLU(inplace=True) if temporal_relu else nn.Identity()
            self.temporal = nn.Conv3d(in_channels, out_channels, kernel_size=(3, 1, 1), padding=(1, 0, 0))
        else:
            self.conv = nn.Conv3d(in_channels, out_channels, kernel_size=3, padding=1)

    @property
    def last_conv(self) -> nn.Conv3d:
        """The convolution that produces this unit's output (the one phase folding rewrites)."""
        return self.temporal if self.factorised else self.conv

    def forward(self, x: Tensor) -> Tensor:
        if self.factorised:
            return self.temporal(self.spatial_relu(self.spatial(x)))
        return self.conv(x)


class ResidualBlock3d(nn.Module):
    """EDSR-style residual block: conv unit, ReLU, conv unit, plus the block's input (no normalisation layers).

    Args:
        features: feature maps in and out.
        factorised: use the spatial-temporal conv unit (STResNet) instead of 3×3×3 (SRResNet-3D).
        temporal_relu: ReLU between the spatial and temporal conv of a factorised unit.
    """

    def __init__(self, features: int, factorised: bool, temporal_relu: bool = True) -> None:
        super().__init__()
        self.conv1 = ConvUnit3d(features, features, factorised, temporal_relu)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = ConvUnit3d(features, features, factorised, temporal_relu)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv2(self.relu(self.conv1(x)))
