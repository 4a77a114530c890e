"""SRResNet-3D: the full-3D-convolution baseline of Wei & Hsu (MIDL 2021), EDSR/SRResNet-style, for CT volumes."""

from __future__ import annotations

from torch import Tensor, nn

from ctdenoise.models.blocks import ConvUnit3d, ResidualBlock3d


class SRResNet3D(nn.Module):
    """Low-dose → standard-dose CT network: head conv, N residual blocks, body conv + long skip, optional ×2
    upsampling along z, tail conv, and a global residual to the (nearest-upsampled) input.

    The layout follows the authors' code (BasicSR-style, no normalisation layers): a 5×5×5 head, 64 features,
    9 residual blocks; the ×2 z upsampling (2 mm low-dose slices → 1 mm standard-dose grid) is a nearest upsample
    followed by a conv + ReLU. The tail starts at zero, so an untrained network is exactly the nearest-upsampled
    input and training learns only the correction (the noise, the missing z detail).

    Args:
        features: feature maps F in the body (paper: 64).
        blocks: residual blocks N (paper: 9).
        z_scale: 2 to double the number of slices (input Z → output 2Z), 1 for same-grid denoising.
        head_kernel: odd kernel size of the 1→F head conv (paper: 5).
        factorised: keyword only, for ``STResNet``: replace every 3×3×3 conv by spatial 1×3×3 + temporal 3×1×1.
        temporal_relu: keyword only, for ``STResNet``: ReLU between the spatial and temporal conv.

    Example:
        >>> import torch
        >>> net = SRResNet3D(features=8, blocks=1, z_scale=2).eval()
        >>> net(torch.zeros(1, 1, 4, 16, 16)).shape
        torch.Size([1, 1, 8, 16, 16])
    """

    def __init__(
        self,
        features: int = 64,
        blocks: int = 9,
        z_scale: int = 2,
        head_kernel: int = 5,
        *,
        factorised: bool = False,
        temporal_relu: bool = True,
    ) -> None:
        super().__init__()
        if z_scale not in (1, 2):
            raise ValueError(f"z_scale must be 1 or 2, got {z_scale}")
        if head_kernel < 1 or head_kernel % 2 == 0:
            raise ValueError(f"head_kernel must be a positive odd number, got {head_kernel}")
        if features < 1 or blocks < 0:
            raise ValueError(f"features must be ≥ 1 and blocks ≥ 0, got {features} and {blocks}")
        self.z_scale = z_scale
        self.input_upsample = nn.Upsample(scale_factor=(z_scale, 1, 1), mode="nearest")
        self.head = nn.Conv3d(1, features, kernel_size=head_kernel, padding=head_kernel // 2)
        self.body = nn.Sequential(*(ResidualBlock3d(features, factorised, temporal_relu) for _ in range(blocks)))
        self.body_conv = ConvUnit3d(features, features, factorised, temporal_relu)
        if z_scale == 2:
            self.upsample = nn.Upsample(scale_factor=(2, 1, 1), mode="nearest")
            self.upsample_conv = ConvUnit3d(features, features, factorised, temporal_relu)
            self.upsample_relu = nn.ReLU(inplace=True)
        self.tail = ConvUnit3d(features, 1, factorised, temporal_relu)
        nn.init.zeros_(self.tail.last_conv.weight)
        nn.init.zeros_(self.tail.last_conv.bias)

    def forward(self, x: Tensor) -> Tensor:
        """Map a normalised low-dose batch (B, 1, Z, Y, X) to the standard-dose estimate (B, 1, Z·z_scale, Y, X)."""
        skip = self.input_upsample(x) if self.z_scale > 1 else x
        features = self.head(x)
        features = features + self.body_conv(self.body(features))
        if self.z_scale > 1:
            features = self.upsample_relu(self.upsample_conv(self.upsample(features)))
        return self.tail(features) + skip
