"""The list of cases for ``compare-radiomics``: per case a nodule mask and one image per method.

Two formats, paths relative to the list file:

* CSV with columns ``case,mask,<method 1>,<method 2>,...``, e.g.::

      case,mask,low_dose,srresnet_fp32,stresnet_int8,full_dose
      phantom-000,phantom-000/nodules.nii.gz,phantom-000/low.nii.gz,out/srresnet/000.nii.gz,out/st/000.nii.gz,phantom-000/full_dose.nii.gz

* JSON ``{"cases": [{"case": "phantom-000", "mask": "...", "images": {"low_dose": "...", "full_dose": "..."}}]}``.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from ctdenoise.errors import CtDenoiseError


@dataclass
class RadiomicsCase:
    """One scan: its nodule mask and the image each method produced (absolute paths)."""

    case_id: str
    mask_path: Path
    image_paths: dict[str, Path]


def _from_csv(path: Path) -> list[dict]:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        missing = {"case", "mask"} - set(columns)
        if missing:
            raise CtDenoiseError(f"{path}: missing column(s) {', '.join(sorted(missing))}; need case,mask,<methods>")
        methods = [c for c in columns if c not in ("case", "mask")]
        return [{"case": r["case"], "mask": r["mask"], "images": {m: r[m] for m in methods}} for r in reader]


def _from_json(path: Path) -> list[dict]:
    try:
        content = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise CtDenoiseError(f"{path}: not valid JSON ({error.msg} at line {error.lineno})") from None
    cases = content.get("cases") if isinstance(content, dict) else None
    if not isinstance(cases, list):
        raise CtDenoiseError(f'{path}: expected {{"cases": [{{"case", "mask", "images": {{method: path}}}}]}}')
    return cases


def read_cases(path: Path | str) -> list[RadiomicsCase]:
    """Read and check a case list (CSV or JSON): every case names the same methods and every file exists."""
    path = Path(path)
    if not path.is_file():
        raise CtDenoiseError(f"{path}: no such case list")
    raw = _from_json(path) if path.suffix.lower() == ".json" else _from_csv(path)
    if not raw:
        raise CtDenoiseError(f"{path}: no cases listed")
    cases = []
    methods = None
    for entry in raw:
        case_id = str(entry.get("case", "")).strip()
        images = entry.get("images") or {}
        paths_given = [entry.get("mask"), *images.values()] if isinstance(images, dict) else []
        if not case_id or not images or not all(str(p or "").strip() for p in paths_given):
            raise CtDenoiseError(f"{path}: every case needs 'case', 'mask' and at least one image; got {entry}")
        if methods is None:
            methods = list(images)
        elif list(images) != methods:
            raise CtDenoiseError(f"{path}: case {case_id} lists methods {list(images)}, expected {methods}")
        resolved = {method: path.parent / str(image) for method, image in images.items()}
        for file in [path.parent / str(entry["mask"]), *resolved.values()]:
            if not file.exists():
                raise CtDenoiseError(f"{path}: case {case_id}: {file} does not exist")
        cases.append(RadiomicsCase(case_id, path.parent / str(entry["mask"]), resolved))
    if len({case.case_id for case in cases}) != len(cases):
        raise CtDenoiseError(f"{path}: case names must be unique")
    return cases
