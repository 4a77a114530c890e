"""Shared test fixtures: the ../shared data folder and small helpers.

Tests that need real data read its folder from ``CTDENOISE_SHARED`` (default ``../shared`` beside the repo).
When it is missing they skip on a developer machine but FAIL in CI (``CI`` or ``CTDENOISE_REQUIRE_SHARED`` set).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_root() -> Path:
    return Path(os.environ.get("CTDENOISE_SHARED", REPO_ROOT.parent / "shared")).resolve()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared data folder; missing is a failure in CI and a skip elsewhere."""
    root = shared_root()
    if not (root / "data").is_dir():
        message = f"shared data folder not found at {root} (set CTDENOISE_SHARED)"
        if os.environ.get("CI") or os.environ.get("CTDENOISE_REQUIRE_SHARED"):
            pytest.fail(message)
        pytest.skip(message)
    return root


@pytest.fixture(scope="session")
def lung1_dir(shared_dir: Path) -> Path:
    return shared_dir / "data" / "lung1-001"
