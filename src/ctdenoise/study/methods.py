"""The study's denoising methods: architecture × precision, and how each one is trained and run."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ctdenoise.models.registry import network_entry

BASELINE_ARCH = "srresnet"  # the seed compares everything with SRResNet FP32 (Wei & Hsu 2021, Table 1, Fig. 2)
LOW_DOSE = "Low dose"
FULL_DOSE = "Full dose"


@dataclass(frozen=True)
class Method:
    """One row of Table 1: a network trained at ``train_precision`` and run at ``precision`` on ``runtime``."""

    arch: str
    precision: str  # fp32 | bf16 | fp16 | int8
    train_precision: str
    runtime: str

    @property
    def key(self) -> str:
        return f"{self.arch}-{self.precision}"

    @property
    def network_label(self) -> str:
        """The network's name in tables (``"STResNet"``), from the registry."""
        return network_entry(self.arch).label

    @property
    def label(self) -> str:
        return f"{self.network_label} {self.precision.upper()}"

    @property
    def run_name(self) -> str:
        """The training run this method's weights come from (INT8 quantizes the FP32-trained network)."""
        return f"{self.arch}-{self.train_precision}"


def study_methods(inference: dict[str, str], mixed_precision: str, networks: Iterable[str]) -> list[Method]:
    """Rows in the seed's order: FP32, mixed precision, INT8; the networks in the study config's order in each."""
    methods = []
    for precision in ("fp32", mixed_precision, "int8"):
        train_precision = "fp32" if precision == "int8" else precision
        for arch in networks:
            methods.append(Method(arch, precision, train_precision, inference[f"runtime_{precision}"]))
    return methods


BASELINE = Method(BASELINE_ARCH, "fp32", "fp32", "torch").label
