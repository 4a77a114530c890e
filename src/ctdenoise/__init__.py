"""ctdenoise: low-dose chest CT denoising that runs fast on ordinary CPUs.

The pipeline, one subpackage per stage: ``io`` (read/write CT) → ``phantom`` / ``simulate`` (make data) →
``models`` + ``training`` → ``inference`` (whole volumes, INT8) → ``metrics`` / ``radiomics`` → ``study``.
"""

from ctdenoise.errors import CtDenoiseError
from ctdenoise.volume import Volume

__version__ = "0.1.0"
__all__ = ["CtDenoiseError", "Volume", "__version__"]
