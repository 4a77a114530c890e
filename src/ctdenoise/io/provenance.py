"""How an output volume was made, kept next to an image file that has no room for it.

A DICOM series records it in each file (Derivation Description, Series Description; ``dicom_writer``). A NIfTI,
NRRD or MetaImage file keeps only the image and its geometry, so ``ctdenoise simulate`` and ``ctdenoise denoise``
write a JSON sidecar beside it — ``scan.nii.gz`` → ``scan.json``, as BIDS does — with the record of the run: dose,
I0 and its profile along z, noise kernel and seed for a simulation; model, runtime and precision for denoising.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ctdenoise.io.atomic import atomic_path, refuse_to_clobber
from ctdenoise.io.itk_formats import ITK_SUFFIXES
from ctdenoise.volume import Volume

#: Volume metadata entries that describe how the volume was made (JSON-ready dicts and strings).
PROVENANCE_KEYS = ("derivation_description", "simulation", "ctdenoise_inference")


def provenance_path(image_path: Path | str) -> Path | None:
    """The sidecar of an image file (its name with the image suffix replaced by ``.json``); None for a DICOM folder."""
    path = Path(image_path)
    for suffix in sorted(ITK_SUFFIXES, key=len, reverse=True):
        if path.name.lower().endswith(suffix):
            return path.with_name(path.name[: -len(suffix)] + ".json")
    return None


def check_provenance_path(image_path: Path | str, overwrite: bool, inputs: tuple[Path, ...] = ()) -> None:
    """Raise before any slow work when the sidecar would clobber a file (see :func:`refuse_to_clobber`)."""
    sidecar = provenance_path(image_path)
    if sidecar is not None:
        refuse_to_clobber(sidecar, overwrite, inputs)


def write_provenance(volume: Volume, image_path: Path | str, overwrite: bool = False) -> Path | None:
    """Write the sidecar of ``image_path`` (atomically) from the volume's provenance metadata; None when the output
    is a DICOM folder or the volume carries none."""
    sidecar = provenance_path(image_path)
    record: dict[str, Any] = {key: volume.metadata[key] for key in PROVENANCE_KEYS if key in volume.metadata}
    if sidecar is None or not record:
        return None
    refuse_to_clobber(sidecar, overwrite)
    with atomic_path(sidecar) as temporary:
        temporary.write_text(json.dumps({"image": Path(image_path).name, **record}, indent=1, default=str) + "\n")
    return sidecar
