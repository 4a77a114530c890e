"""What the study ran on: CPU, cores, memory and library versions, for the report."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from typing import Any

REPORTED_PACKAGES = (
    "ctdenoise", "torch", "numpy", "scipy", "numba", "SimpleITK", "pydicom", "openvino", "nncf", "onnxruntime",
    "pyradiomics-bhklab", "scikit-image", "matplotlib",
)  # fmt: skip


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags() -> list[str]:
    """The SIMD features that decide CPU inference speed (AVX-512, VNNI, BF16, AMX)."""
    wanted = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_int8", "amx_bf16")
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return [flag for flag in wanted if flag in flags]
    except OSError:
        pass
    return []


def memory_gib() -> float | None:
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        return round(pages * page_size / 2**30, 1)
    except (ValueError, OSError):
        return None


def machine_description() -> dict[str, Any]:
    return {
        "cpu": cpu_model(),
        "cpu_features": cpu_flags(),
        "cores": os.cpu_count(),
        "memory_gib": memory_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def package_versions() -> dict[str, str]:
    versions = {}
    for name in REPORTED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
