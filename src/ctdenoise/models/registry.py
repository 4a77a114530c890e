"""The networks ctdenoise can build, by name: one explicit dict, no import-time registration.

Each entry is a constructor (a plain ``nn.Module`` class, which owns the defaults of its arguments), the label
that tables and reports print, and its named sizes — constructor arguments for ``tiny`` (tests), ``quick``
(a few CPU minutes), ``bench`` and ``paper``. Everything else — ``ctdenoise models``, training, INT8,
export, the benchmark and the study — reads this dict, so a new network is one module plus one entry here.
Every network maps a normalised ``(B, 1, Z, Y, X)`` batch to ``(B, 1, Z·z_scale, Y, X)`` and takes ``z_scale``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from torch import nn

from ctdenoise.errors import CtDenoiseError
from ctdenoise.models.redcnn import REDCNN
from ctdenoise.models.srresnet3d import SRResNet3D
from ctdenoise.models.stresnet import STResNet

SIZES = ("tiny", "quick", "bench", "paper")


@dataclass(frozen=True)
class NetworkEntry:
    """One buildable network.

    Args:
        constructor: the ``nn.Module`` class (or any callable taking ``z_scale`` and keyword settings).
        label: the name tables and reports print (``"STResNet"``).
        sizes: for every name in ``SIZES``, the constructor arguments of that size (others keep their defaults).
        reference: the paper it implements.
    """

    constructor: Callable[..., nn.Module]
    label: str
    sizes: Mapping[str, Mapping[str, Any]]
    reference: str


# Wei & Hsu (MIDL 2021): F=64, N=9, 5×5×5 head; "bench" is the paper width with one block fewer.
_RESNET_SIZES = {
    "tiny": {"features": 4, "blocks": 1, "head_kernel": 3},
    "quick": {"features": 16, "blocks": 3, "head_kernel": 5},
    "bench": {"features": 64, "blocks": 8, "head_kernel": 5},
    "paper": {"features": 64, "blocks": 9, "head_kernel": 5},
}

NETWORKS: dict[str, NetworkEntry] = {
    "srresnet": NetworkEntry(SRResNet3D, "SRResNet", _RESNET_SIZES, "Wei & Hsu, MIDL 2021 (SRResNet-3D baseline)"),
    "stresnet": NetworkEntry(STResNet, "STResNet", _RESNET_SIZES, "Wei & Hsu, MIDL 2021"),
    # Chen et al., IEEE TMI 2017: 96 features. quick: 32 features, about the training cost of quick SRResNet.
    "redcnn": NetworkEntry(
        REDCNN,
        "RED-CNN",
        {"tiny": {"features": 4}, "quick": {"features": 32}, "bench": {"features": 96}, "paper": {"features": 96}},
        "Chen et al., IEEE TMI 36(12):2524-2535, 2017",
    ),
}


def network_entry(arch: str) -> NetworkEntry:
    """The registry entry of ``arch``.

    Raises:
        CtDenoiseError: no network of that name (the message lists the known ones).
    """
    if arch not in NETWORKS:
        raise CtDenoiseError(f"unknown architecture '{arch}'; choose one of {', '.join(NETWORKS)}")
    return NETWORKS[arch]
