"""Read the calibration data for INT8 quantization: low-dose volumes and, when known, their full-dose references.

``--calibration`` takes either a pairs manifest (CSV with columns ``subject_id,low_dose,full_dose[,split]``,
paths relative to the CSV, the same file training reads) or one or more image paths (DICOM folders or
NIfTI/NRRD/MetaImage files) of low-dose scans without references. The CSV is read by
``ctdenoise.pairs.read_pairs_manifest``, as in training, so both accept exactly the same files.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ctdenoise.errors import CtDenoiseError
from ctdenoise.volume import Volume

DEFAULT_MAX_VOLUMES = 4


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
        from ctdenoise.pairs import read_pairs_manifest

        order = {"val": 0, "train": 1}  # held-out validation scans first: they are what the model has not seen
        records = sorted(read_pairs_manifest(paths[0]), key=lambda record: order.get(record.split or "", 2))
        records = records[:max_volumes]
        return [read_volume(r.low_dose) for r in records], [read_volume(r.full_dose) for r in records]
    return [read_volume(path) for path in paths[:max_volumes]], None
