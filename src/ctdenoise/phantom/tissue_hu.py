"""Literature CT numbers (HU at 120 kVp, no contrast) of the tissues the chest phantom is built from.

Sources: Hofer, *CT Teaching Manual* (4th ed., Thieme 2010) table of typical densities; Kalender, *Computed
Tomography* (3rd ed., 2011) fig. 1.6; Hansell et al., "Fleischner Society: glossary of terms for thoracic
imaging", Radiology 246:697 (2008) for ground-glass opacity; lung parenchyma −850…−700 HU in healthy adults
(Hoffman et al., Acad Radiol 13:1090, 2006). Each subject draws its own value inside the range, so a cohort
covers the spread seen between patients and scanners.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TissueRange:
    """A tissue's literature HU range; ``draw`` picks one subject's value uniformly inside it."""

    low_hu: float
    high_hu: float

    def draw(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.low_hu, self.high_hu))


AIR_HU = -1000.0
LUNG_PARENCHYMA = TissueRange(-870.0, -780.0)
FAT = TissueRange(-110.0, -85.0)
MUSCLE = TissueRange(35.0, 55.0)
BLOOD = TissueRange(35.0, 50.0)  # unenhanced blood and myocardium
LIVER = TissueRange(50.0, 65.0)
CSF_CORD = TissueRange(10.0, 30.0)
CORTICAL_BONE = TissueRange(700.0, 1000.0)
CANCELLOUS_BONE = TissueRange(180.0, 300.0)
INTERVERTEBRAL_DISC = TissueRange(70.0, 100.0)
CARTILAGE = TissueRange(90.0, 140.0)  # costal cartilage
AIRWAY_WALL = TissueRange(30.0, 60.0)
SOLID_NODULE = TissueRange(10.0, 50.0)
GROUND_GLASS = TissueRange(-650.0, -400.0)  # Fleischner glossary: hazy opacity that keeps vessels visible
TABLE_SHELL_HU = 250.0  # carbon-fibre skin of the patient table
TABLE_CORE_HU = -920.0  # foam core
