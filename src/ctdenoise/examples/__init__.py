"""Example data that ships with ctdenoise: a real chest CT crop with lung nodules, to try the built-in models on.

A crop (24 slices of 2.5 mm, 224×224 pixels of 0.82 mm) of LIDC-IDRI-0003 (GE LightSpeed, STANDARD kernel) around
its three nodules: the full-dose crop, its simulated 10 %-dose partner (``ctdenoise.simulate``, seed 0, simulated on
the whole slices) and the 50 %-consensus nodule labels 1–3. Made by ``scripts/make_example_crop.py``. LIDC-IDRI-0003
is held out of the built-in models' training. Licence CC BY 3.0: see ``ATTRIBUTION.md`` beside this file.

Example:
    >>> from ctdenoise.examples import EXAMPLE_LOW_DOSE
    >>> EXAMPLE_LOW_DOSE.name
    'lidc-idri-0003-crop-low_dose_10pct.nii.gz'
"""

from pathlib import Path

EXAMPLES_DIR = Path(__file__).resolve().parent
EXAMPLE_FULL_DOSE = EXAMPLES_DIR / "lidc-idri-0003-crop-full_dose.nii.gz"
EXAMPLE_LOW_DOSE = EXAMPLES_DIR / "lidc-idri-0003-crop-low_dose_10pct.nii.gz"
EXAMPLE_NODULES = EXAMPLES_DIR / "lidc-idri-0003-crop-nodules.nii.gz"

__all__ = ["EXAMPLES_DIR", "EXAMPLE_FULL_DOSE", "EXAMPLE_LOW_DOSE", "EXAMPLE_NODULES"]
