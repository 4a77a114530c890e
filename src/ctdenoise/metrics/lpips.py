"""LPIPS v0.1, the learned perceptual image distance of Zhang et al., "The Unreasonable Effectiveness of Deep
Features as a Perceptual Metric", CVPR 2018 — re-implemented without torchvision or the ``lpips`` package.

distance(x0, x1) = Σ_l mean_hw( w_l · (f̂_l(x0) − f̂_l(x1))² ), where f̂_l are backbone activations (after the
LPIPS scaling layer) normalised to unit length along channels and w_l are the learned v0.1 linear heads.
Images are RGB in [−1, 1]. For CT, each axial slice is clipped to the HU window, mapped to [−1, 1] and
replicated to 3 channels; a volume's LPIPS is the mean over its slices (the paper uses the VGG backbone).

Reproduces upstream: with AlexNet, distance(ex_ref.png, ex_p0.png) = 0.722 and distance(ex_ref.png, ex_p1.png)
= 0.138 (``lpips_2imgs.py`` of the lpips package).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from ctdenoise.errors import CtDenoiseError
from ctdenoise.metrics.lpips_backbones import BACKBONES, LPIPS_TAP_CHANNELS, LPIPS_TAP_LAYERS
from ctdenoise.metrics.lpips_weights import load_backbone_state, load_head_state
from ctdenoise.metrics.window import DEFAULT_WINDOW_HU, window_to_signed_unit
from ctdenoise.volume import Volume

NETS = tuple(BACKBONES)
MIN_IMAGE_SIZE_PX = {"alex": 31, "vgg": 16}  # smallest side for which every tapped layer still has a pixel

# LPIPS' ScalingLayer: maps [−1, 1] inputs to roughly ImageNet-normalised values (lpips/pretrained_networks.py).
SCALING_SHIFT = (-0.030, -0.088, -0.188)
SCALING_SCALE = (0.458, 0.448, 0.450)


class LpipsNetwork(nn.Module):
    """Backbone + LPIPS v0.1 heads; ``forward(x0, x1)`` gives one distance per image pair.

    Args:
        net: ``"alex"`` or ``"vgg"``.
    """

    def __init__(self, net: str = "alex") -> None:
        super().__init__()
        if net not in BACKBONES:
            raise CtDenoiseError(f"unknown LPIPS network {net!r}; use one of {', '.join(NETS)}")
        self.net = net
        self.features = BACKBONES[net]()
        self.heads = nn.ModuleList(nn.Conv2d(channels, 1, 1, bias=False) for channels in LPIPS_TAP_CHANNELS[net])
        self.register_buffer("shift", torch.tensor(SCALING_SHIFT).view(1, 3, 1, 1))
        self.register_buffer("scale", torch.tensor(SCALING_SCALE).view(1, 3, 1, 1))

    def tapped_features(self, images: torch.Tensor) -> list[torch.Tensor]:
        """Channel-normalised activations at the LPIPS taps for images ``(B, 3, H, W)`` in [−1, 1]."""
        taps = LPIPS_TAP_LAYERS[self.net]
        activations = (images - self.shift) / self.scale
        outputs = []
        for index, layer in enumerate(self.features[: taps[-1] + 1]):
            activations = layer(activations)
            if index in taps:
                norm = torch.sqrt(torch.sum(activations**2, dim=1, keepdim=True))
                outputs.append(activations / (norm + 1e-10))
        return outputs

    def forward(self, images0: torch.Tensor, images1: torch.Tensor) -> torch.Tensor:
        features = self.tapped_features(torch.cat([images0, images1]))
        distance = torch.zeros(images0.shape[0], dtype=images0.dtype, device=images0.device)
        for head, both in zip(self.heads, features, strict=True):
            feature0, feature1 = both.chunk(2)
            distance = distance + head((feature0 - feature1) ** 2).mean(dim=(1, 2, 3))
        return distance


def _as_rgb_batch(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Images in [−1, 1] → float32 tensor (B, 3, H, W).

    Accepted: (H, W) grey, (H, W, 3) RGB, (N, H, W) a stack of grey slices, (B, 3, H, W) a torch-style batch.
    Grey images are replicated to 3 channels.
    """
    tensor = torch.as_tensor(images if isinstance(images, torch.Tensor) else np.asarray(images)).float()
    if tensor.ndim == 2:
        tensor = tensor[None]
    if tensor.ndim == 3 and tensor.shape[-1] == 3:
        tensor = tensor.permute(2, 0, 1)[None]
    elif tensor.ndim == 3:
        tensor = tensor[:, None].expand(-1, 3, -1, -1)
    if tensor.ndim != 4 or tensor.shape[1] != 3:
        raise CtDenoiseError(f"LPIPS needs grey or RGB images, got an array of shape {tuple(tensor.shape)}")
    return tensor


class LPIPS:
    """LPIPS v0.1 distance with local weights; call it on two images or two volumes to get a float.

    Args:
        net: ``"alex"`` (fast; upstream's default) or ``"vgg"`` (what the STResNet paper reports).
        weights_dir: folder with the backbone and head weights; ``None`` searches ``$CTDENOISE_LPIPS_WEIGHTS``,
            torch hub's cache and an installed ``lpips`` package (see ``ctdenoise.metrics.lpips_weights``).
        batch_size: image pairs per forward pass.

    Example:
        >>> lpips = LPIPS("alex", weights_dir="../shared/weights/lpips")  # doctest: +SKIP
        >>> lpips(load_rgb_image("ex_ref.png"), load_rgb_image("ex_p1.png"))  # doctest: +SKIP
        0.138...
    """

    def __init__(self, net: str = "alex", weights_dir: Path | str | None = None, batch_size: int = 8) -> None:
        self.network = LpipsNetwork(net)
        backbone_state, self.backbone_file = load_backbone_state(net, weights_dir)
        heads, self.head_file = load_head_state(net, weights_dir)
        try:
            self.network.features.load_state_dict(backbone_state)
            for head, weight in zip(self.network.heads, heads, strict=True):
                head.weight.data.copy_(weight)
        except (RuntimeError, ValueError) as error:
            raise CtDenoiseError(
                f"{self.backbone_file} / {self.head_file}: weights do not fit LPIPS-{net}: {str(error).splitlines()[0]}"
            ) from error
        self.network.eval()
        self.net = net
        self.batch_size = batch_size

    def distances(self, images0: np.ndarray | torch.Tensor, images1: np.ndarray | torch.Tensor) -> np.ndarray:
        """One distance per image pair; (H, W), (H, W, 3), (N, H, W) or (B, 3, H, W) images in [−1, 1]."""
        batch0, batch1 = _as_rgb_batch(images0), _as_rgb_batch(images1)
        if batch0.shape != batch1.shape:
            raise CtDenoiseError(f"LPIPS images differ in shape: {tuple(batch0.shape)} vs {tuple(batch1.shape)}")
        if min(batch0.shape[-2:]) < MIN_IMAGE_SIZE_PX[self.net]:
            raise CtDenoiseError(
                f"images of {tuple(batch0.shape[-2:])} px are too small for LPIPS-{self.net}: "
                f"needs at least {MIN_IMAGE_SIZE_PX[self.net]} px per side"
            )
        with torch.no_grad():
            parts = [
                self.network(batch0[start : start + self.batch_size], batch1[start : start + self.batch_size])
                for start in range(0, batch0.shape[0], self.batch_size)
            ]
        return torch.cat(parts).double().numpy()

    def volume_distance(
        self,
        pred: Volume,
        target: Volume,
        window_hu: tuple[float, float] = DEFAULT_WINDOW_HU,
        progress: bool = False,
    ) -> float:
        """Mean LPIPS over the axial slices of two volumes on the same grid (HU window mapped to [−1, 1])."""
        if pred.shape != target.shape:
            raise CtDenoiseError(f"LPIPS volumes differ in shape: {pred.shape} vs {target.shape}")
        from tqdm import tqdm

        pred_slices = torch.from_numpy(window_to_signed_unit(pred.hu, window_hu))
        target_slices = torch.from_numpy(window_to_signed_unit(target.hu, window_hu))
        values = []
        starts = range(0, pred.shape[0], self.batch_size)
        for start in tqdm(starts, desc=f"LPIPS-{self.net}", unit="batch", disable=not progress, leave=False):
            chunk = slice(start, start + self.batch_size)
            values.append(self.distances(pred_slices[chunk], target_slices[chunk]))
        return float(np.concatenate(values).mean())

    def __call__(self, first: Volume | np.ndarray | torch.Tensor, second: Volume | np.ndarray | torch.Tensor) -> float:
        """Distance between two volumes (mean over axial slices, default HU window) or two images in [−1, 1]."""
        if isinstance(first, Volume) and isinstance(second, Volume):
            return self.volume_distance(first, second)
        return float(self.distances(first, second).mean())


def lpips_volume(
    pred: Volume,
    target: Volume,
    net: str = "vgg",
    weights_dir: Path | str | None = None,
    window_hu: tuple[float, float] = DEFAULT_WINDOW_HU,
    progress: bool = False,
) -> float:
    """Mean LPIPS v0.1 over the axial slices of ``pred`` vs ``target`` (the paper's setting: VGG, [−1000, 500] HU).

    Args:
        pred: denoised volume.
        target: full-dose reference on the same grid.
        net: ``"vgg"`` or ``"alex"``.
        weights_dir: LPIPS weights folder (``None``: search the default places, see ``LPIPS``).
        window_hu: HU window mapped to [−1, 1].
        progress: show a progress bar over slice batches.
    """
    return LPIPS(net, weights_dir).volume_distance(pred, target, window_hu=window_hu, progress=progress)


def load_rgb_image(path: Path | str) -> np.ndarray:
    """Read a PNG/JPEG as an (H, W, 3) float32 RGB array in [−1, 1], as upstream's ``lpips.im2tensor`` does."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            rgb = np.asarray(image.convert("RGB"), dtype=np.float32)
    except (FileNotFoundError, UnidentifiedImageError, OSError) as error:
        raise CtDenoiseError(f"{path}: cannot be read as an image ({error.__class__.__name__})") from error
    return rgb / 127.5 - 1.0
