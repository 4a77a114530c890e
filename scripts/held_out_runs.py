"""What the scripts that train a network and judge it on the held-out real scans share (``ablate_builtin_data.py``,
``cpu_budget_builtin.py``): their common options, and training a run once, timed by the wall clock."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any


def add_common_arguments(parser: argparse.ArgumentParser, out: str, json_path: str) -> None:
    """``--pairs``, ``--out`` (default ``out``), ``--shared``, ``--cache`` and ``--json`` (default ``json_path``)."""
    parser.add_argument("--pairs", type=Path, default=Path("builtin-pairs"))
    parser.add_argument("--out", type=Path, default=Path(out))
    parser.add_argument("--shared", type=Path, default=Path(os.environ.get("CTDENOISE_SHARED", "../shared")))
    parser.add_argument(
        "--cache", type=Path, default=Path("builtin-eval"), help="held-out cases, shared with build_builtin_models.py"
    )
    parser.add_argument("--json", type=Path, default=Path(json_path))


def train_once(config: dict[str, Any], run_dir: Path, recorded_s: float | None) -> float | None:
    """Train ``config`` into ``run_dir`` unless it already holds ``last.pt``; the wall seconds it took, or
    ``recorded_s`` (the time recorded when that run was made) for a run already there."""
    from ctdenoise.training import train

    if (run_dir / "last.pt").exists():
        return recorded_s
    started = time.time()
    train(config, run_dir, progress=False)
    return round(time.time() - started, 1)
