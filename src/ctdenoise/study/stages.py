"""Cached, resumable study stages: each finished stage leaves a small JSON record, so a re-run skips it.

A killed run loses at most the stage in progress: a stage's record is written (atomically) only after all of its
outputs exist, and a stage that finds no record starts over from a clean working folder.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ctdenoise.io.atomic import atomic_path


@dataclass(frozen=True)
class Stage:
    """One step of the study: a name, a one-line description for the progress display, and the work."""

    name: str
    description: str
    run: Callable[[Path], dict[str, Any]]
    continues_partial_work: bool = False  # e.g. training, which resumes from its own last checkpoint


def stage_record_path(out_dir: Path, name: str) -> Path:
    return Path(out_dir) / "stages" / f"{name}.json"


def load_stage_record(out_dir: Path, name: str) -> dict[str, Any] | None:
    """The saved result of a finished stage, or None when it has not finished."""
    path = stage_record_path(out_dir, name)
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def run_stage(stage: Stage, out_dir: Path, resume: bool) -> dict[str, Any]:
    """Run a stage in ``out_dir/<name>/`` unless ``resume`` and its record says it already finished."""
    if resume:
        record = load_stage_record(out_dir, stage.name)
        if record is not None:
            record["skipped"] = True
            return record
    work_dir = Path(out_dir) / stage.name
    if work_dir.exists() and not (resume and stage.continues_partial_work):
        shutil.rmtree(work_dir)  # a half-finished stage from a killed run: start it over
    work_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    result = stage.run(work_dir)
    record = {"stage": stage.name, "seconds": round(time.perf_counter() - started, 2), "result": result}
    path = stage_record_path(out_dir, stage.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps(record, indent=2, default=str))
    record["skipped"] = False
    return record
