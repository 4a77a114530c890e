"""The pairs manifest: the CSV that links each low-dose scan to its full-dose partner, and the patient-level split.

The manifest has columns ``subject_id,low_dose,full_dose[,split][,nodule_mask]`` (paths relative to the CSV).
Training reads it, the study writes and reads it, INT8 calibration reads it: this module is its one reader.
Rows of one subject (e.g. several dose levels) always land in the same split, so no patient is both trained
and tested on.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ctdenoise.errors import CtDenoiseError

SPLITS = ("train", "val", "test")
# The paper's 80/20/84 training/validation/test patients (Wei & Hsu 2021, Sec. 2).
PAPER_SPLIT_PATIENTS = (80, 20, 84)


@dataclass(frozen=True)
class PairRecord:
    """One row of a pairs manifest, with absolute paths."""

    subject_id: str
    low_dose: Path
    full_dose: Path
    split: str | None = None
    nodule_mask: Path | None = None  # the study's manifests name each subject's nodule label mask


def read_pairs_manifest(csv_path: Path | str) -> list[PairRecord]:
    """Read ``subject_id,low_dose,full_dose[,split][,nodule_mask]``; paths are relative to the CSV's folder.

    Raises:
        CtDenoiseError: no such file, a missing column, an unknown split, a path that does not exist, no rows.
    """
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise CtDenoiseError(f"{csv_path}: pairs manifest not found")
    with csv_path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"subject_id", "low_dose", "full_dose"} - set(reader.fieldnames or [])
        if missing:
            raise CtDenoiseError(f"{csv_path}: pairs manifest lacks column(s) {', '.join(sorted(missing))}")
        records = []
        for line, row in enumerate(reader, start=2):
            split = (row.get("split") or "").strip() or None
            if split is not None and split not in SPLITS:
                raise CtDenoiseError(f"{csv_path}:{line}: split '{split}' is not one of {', '.join(SPLITS)}")
            for column in ("subject_id", "low_dose", "full_dose"):
                if not (row.get(column) or "").strip():
                    raise CtDenoiseError(f"{csv_path}:{line}: empty {column}")
            columns = [column for column in ("low_dose", "full_dose", "nodule_mask") if (row.get(column) or "").strip()]
            paths = {column: csv_path.parent / row[column].strip() for column in columns}
            for path in paths.values():
                if not path.exists():
                    raise CtDenoiseError(f"{csv_path}:{line}: {path} does not exist")
            records.append(PairRecord(row["subject_id"].strip(), split=split, **paths))
    if not records:
        raise CtDenoiseError(f"{csv_path}: pairs manifest has no rows")
    return records


def assign_splits(
    records: list[PairRecord], seed: int = 0, proportions: tuple[float, float, float] = PAPER_SPLIT_PATIENTS
) -> dict[str, str]:
    """Subject → split. Splits given in the manifest are kept; the other subjects are shuffled with ``seed`` and
    divided in ``proportions`` (train, val, test), at least one training subject and, from two subjects on, one
    validation subject."""
    given: dict[str, str] = {}
    for record in records:
        if record.split is not None and given.setdefault(record.subject_id, record.split) != record.split:
            raise CtDenoiseError(f"subject {record.subject_id} is listed in two splits; one patient, one split")
    open_subjects = sorted({r.subject_id for r in records} - set(given))
    np.random.default_rng(seed).shuffle(open_subjects)
    n = len(open_subjects)
    total = float(sum(proportions))
    n_val = round(n * proportions[1] / total)
    n_test = round(n * proportions[2] / total)
    if n >= 2 and n_val == 0:
        n_val = 1
    while n > 0 and n - n_val - n_test < 1:
        if n_test > 0:
            n_test -= 1
        else:
            n_val -= 1
    assigned = dict(given)
    for position, subject in enumerate(open_subjects):
        assigned[subject] = "val" if position < n_val else "test" if position < n_val + n_test else "train"
    return assigned
