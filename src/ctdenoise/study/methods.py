"""The study's denoising methods: architecture × precision, and how each one is trained and run."""

from __future__ import annotations

from dataclasses import dataclass

ARCH_LABELS = {"srresnet": "SRResNet", "stresnet": "STResNet"}
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
    def label(self) -> str:
        return f"{ARCH_LABELS[self.arch]} {self.precision.upper()}"

    @property
    def run_name(self) -> str:
        """The training run this method's weights come from (INT8 quantizes the FP32-trained network)."""
        return f"{self.arch}-{self.train_precision}"


def study_methods(inference: dict[str, str], mixed_precision: str) -> list[Method]:
    """Rows in the seed's order: FP32, mixed precision, INT8; SRResNet before STResNet in each."""
    methods = []
    for precision in ("fp32", mixed_precision, "int8"):
        train_precision = "fp32" if precision == "int8" else precision
        for arch in ARCH_LABELS:
            methods.append(Method(arch, precision, train_precision, inference[f"runtime_{precision}"]))
    return methods


BASELINE = Method("srresnet", "fp32", "fp32", "torch").label
