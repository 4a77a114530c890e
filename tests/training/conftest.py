"""Fixtures of the training tests: a session-wide set of tiny synthetic pairs."""

from __future__ import annotations

from pathlib import Path

import pytest
from training_helpers import write_pairs


@pytest.fixture(scope="session")
def pairs_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three training subjects and one validation subject (16×24×24 full dose, 8×24×24 low dose)."""
    return write_pairs(tmp_path_factory.mktemp("pairs"), ["train", "train", "train", "val"])
