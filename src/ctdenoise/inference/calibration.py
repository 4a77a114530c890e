"""Read the calibration data for INT8 quantization: low-dose volumes and, when known, their full-dose references.

``--calibration`` takes either a pairs manifest (CSV with columns ``subject_id,low_dose,full_dose[,split]``,
paths relative to the CSV, the same file training reads) or one or more image paths (DICOM folders or
NIfTI/NRRD/MetaImage files) of low-dose scans without references.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from ctdenoise.errors import CtDenoiseError
from ctdenoise.volume import Volume

DEFAULT_MAX_VOLUMES = 4


def read_pairs_manifest(csv_path: Path, max_pairs: int) -> list[tuple[Path, Path]]:
    """(low_dose, full_dose) paths of a pairs CSV, preferring the ``val`` split, then ``train``, then the rest."""
    try:
        with open(csv_path, newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise CtDenoiseError(f"{csv_path}: cannot read the pairs manifest ({error})") from None
    if not rows or not {"low_dose", "full_dose"} <= set(rows[0]):
        raise CtDenoiseError(f"{csv_path}: a pairs manifest needs the columns subject_id,low_dose,full_dose[,split]")
    order = {"val": 0, "train": 1}
    rows.sort(key=lambda row: order.get((row.get("split") or "").strip(), 2))
    return [(csv_path.parent / row["low_dose"], csv_path.parent / row["full_dose"]) for row in rows[:max_pairs]]


def read_calibration_data(
    sources: Sequence[Path | str], max_volumes: int = DEFAULT_MAX_VOLUMES
) -> tuple[list[Volume], list[Volume] | None]:
    """Load calibration volumes (and full-dose references when ``sources`` is one pairs CSV).

    Args:
        sources: one ``.csv`` pairs manifest, or image paths.
        max_volumes: read at most this many volumes (each holds a whole scan in memory).

    Returns:
        ``(low_dose_volumes, full_dose_volumes or None)``.
    """
    from ctdenoise.io import read_volume

    paths = [Path(source) for source in sources]
    if not paths:
        raise CtDenoiseError("quantization needs calibration data: a pairs CSV or low-dose scans")
    if len(paths) == 1 and paths[0].suffix.lower() == ".csv":
        if not paths[0].is_file():
            raise CtDenoiseError(f"{paths[0]}: no such pairs manifest")
        pairs = read_pairs_manifest(paths[0], max_volumes)
        return [read_volume(low) for low, _ in pairs], [read_volume(full) for _, full in pairs]
    return [read_volume(path) for path in paths[:max_volumes]], None
