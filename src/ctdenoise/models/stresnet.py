"""STResNet: SRResNet-3D with every 3×3×3 conv factorised into spatial 1×3×3 + temporal 3×1×1 (Wei & Hsu, MIDL 2021)."""

from __future__ import annotations

from ctdenoise.models.srresnet3d import SRResNet3D


class STResNet(SRResNet3D):
    """Spatial-temporal ResNet: the same network as ``SRResNet3D`` with factorised conv units.

    A 3×3×3 conv costs 27·F² MACs per voxel; spatial + temporal costs 9·F² + 3·F² = 12·F², the source of the
    paper's 1.67× CPU and 1.65× GPU-training speed-ups. The 5×5×5 head (1→F) stays a full conv as in the
    authors' code; it is a small share of the work.

    Args:
        features: feature maps F (paper: 64).
        blocks: residual blocks N (paper: 9).
        z_scale: 2 to double the number of slices, 1 for same-grid denoising.
        head_kernel: odd kernel size of the head conv (paper: 5).
        temporal_relu: ReLU between the spatial and the temporal conv (default True, as Li et al. 2019 and the
            paper's Fig. 1: the nonlinearity makes the factorised pair a two-layer function at no extra cost).

    Example:
        >>> import torch
        >>> net = STResNet(features=8, blocks=1, z_scale=1).eval()
        >>> net(torch.zeros(1, 1, 4, 16, 16)).shape
        torch.Size([1, 1, 4, 16, 16])
    """

    def __init__(
        self,
        features: int = 64,
        blocks: int = 9,
        z_scale: int = 2,
        head_kernel: int = 5,
        temporal_relu: bool = True,
    ) -> None:
        super().__init__(features, blocks, z_scale, head_kernel, factorised=True, temporal_relu=temporal_relu)
