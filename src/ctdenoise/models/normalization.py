"""HU ↔ network-value mapping, stored with the weights so a model file says how to feed it.

Choice: clip to [−1024, 3071] HU (the 12-bit range CT scanners store; DICOM RescaleIntercept −1024), then
x = HU / 1000. Water is 0 and air is −1, so one network unit is 1000 HU and an L1 loss of 0.01 reads as 10 HU.
Compared with squeezing the 4096-HU range into [−1, 1], this keeps lung and soft tissue (the range that matters
for nodules, −1000…+500 HU) at a larger numerical scale, and the residual the network learns (the noise) at
order 0.01–0.1 instead of 0.005–0.05.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ctdenoise.errors import CtDenoiseError

if TYPE_CHECKING:
    import torch


def _is_tensor(value: Any) -> bool:
    """Whether ``value`` is a torch tensor, without importing torch (a tensor exists only once torch is loaded)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


@dataclass(frozen=True)
class HUNormalization:
    """Clip HU to ``clip_hu`` then map ``x = (HU − offset_hu) / scale_hu``.

    Args:
        clip_hu: (low, high) HU kept; values outside are clipped before the network sees them.
        offset_hu: HU mapped to 0.
        scale_hu: HU per network unit.

    Example:
        >>> norm = HUNormalization()
        >>> float(norm.to_model(np.array([-1000.0]))[0]), float(norm.to_hu(np.array([0.5]))[0])
        (-1.0, 500.0)
    """

    clip_hu: tuple[float, float] = (-1024.0, 3071.0)
    offset_hu: float = 0.0
    scale_hu: float = 1000.0

    def __post_init__(self) -> None:
        low, high = (float(v) for v in self.clip_hu)
        if not low < high or self.scale_hu <= 0:
            raise CtDenoiseError(f"invalid HU normalisation: clip_hu={self.clip_hu}, scale_hu={self.scale_hu}")
        object.__setattr__(self, "clip_hu", (low, high))

    def to_model(self, hu: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
        """HU (array or tensor) → network input, float32, same type as given."""
        low, high = self.clip_hu
        if _is_tensor(hu):
            return (hu.float().clamp(low, high) - self.offset_hu) / self.scale_hu
        scaled = np.clip(np.asarray(hu, dtype=np.float32), low, high)  # a new float32 array, changed in place
        scaled -= np.float32(self.offset_hu)
        scaled /= np.float32(self.scale_hu)
        return scaled

    def to_hu(self, x: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
        """Network output → HU (not clipped: the caller decides what to do outside the stored range)."""
        if _is_tensor(x):
            return x.float() * self.scale_hu + self.offset_hu
        hu = np.asarray(x, dtype=np.float32) * np.float32(self.scale_hu)  # a new float32 array, changed in place
        hu += np.float32(self.offset_hu)
        return hu

    def as_dict(self) -> dict[str, Any]:
        return {"clip_hu": list(self.clip_hu), "offset_hu": float(self.offset_hu), "scale_hu": float(self.scale_hu)}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> HUNormalization:
        try:
            return cls(
                clip_hu=tuple(float(v) for v in values["clip_hu"]),
                offset_hu=float(values["offset_hu"]),
                scale_hu=float(values["scale_hu"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise CtDenoiseError(f"invalid HU normalisation record {values!r}: {error}") from None
