"""The built-in digital chest phantom cohort: procedural full-dose chest CT with lung nodules and masks.

``generate_cohort`` writes subjects and a ``manifest.json``; ``generate_subject`` makes one in memory;
``save_preview_png`` draws the three orthogonal views at a lung window.
"""

from ctdenoise.phantom.cohort import generate_cohort
from ctdenoise.phantom.preview import save_preview_png
from ctdenoise.phantom.subject import PhantomSubject, generate_subject

__all__ = ["PhantomSubject", "generate_cohort", "generate_subject", "save_preview_png"]
