"""Radiomic features of lung nodules with pyradiomics (first-order, GLCM, GLRLM, GLSZM in 3D).

CT defaults follow common radiomics practice (van Griethuysen et al., Cancer Res 2017; pyradiomics' CT example
parameters): a fixed bin width of 25 HU and resampling to 1 mm isotropic voxels (B-spline), so that scans with
different slice thickness (2 mm low dose, 1 mm full dose) give comparable texture features. Any pyradiomics
parameter file (YAML with ``setting``, ``featureClass``, ``imageType``) can replace them.
"""

from __future__ import annotations

import copy
import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import SimpleITK as sitk
import yaml
from tqdm import tqdm

from ctdenoise.errors import CtDenoiseError
from ctdenoise.io.itk_formats import volume_to_sitk
from ctdenoise.io.masks import check_mask_inside_image
from ctdenoise.radiomics.grid import bounding_box, crop, resample_to_grid
from ctdenoise.radiomics.nodules import DEFAULT_MIN_VOXELS, split_nodules
from ctdenoise.volume import Volume

#: pyradiomics feature classes of the seed paper and their display names.
FEATURE_FAMILIES: dict[str, str] = {
    "firstorder": "First-Order",
    "glcm": "GLCM",
    "glrlm": "GLRLM",
    "glszm": "GLSZM",
}

#: The defaults: CT-standard bin width and 1 mm isotropic resampling, 3D texture, all four feature classes.
CT_DEFAULT_PARAMS: dict[str, Any] = {
    "imageType": {"Original": {}},
    "featureClass": {family: [] for family in FEATURE_FAMILIES},
    "setting": {
        "binWidth": 25,
        "resampledPixelSpacing": [1.0, 1.0, 1.0],
        "interpolator": "sitkBSpline",
        "label": 1,
        "force2D": False,
    },
}

#: Voxels kept around a nodule when cropping: enough for B-spline resampling and pyradiomics' padding.
CROP_MARGIN_VOXELS = 8

#: Settings reported next to the features, so a reader knows how they were computed.
REPORTED_SETTINGS = ("binWidth", "binCount", "resampledPixelSpacing", "interpolator", "force2D", "normalize")


def silence_pyradiomics() -> None:
    """Keep pyradiomics (and its parameter validator) from printing INFO/WARNING lines for every nodule."""
    import radiomics

    radiomics.setVerbosity(logging.ERROR)
    logging.getLogger("radiomics").setLevel(logging.ERROR)
    logging.getLogger("pykwalify").setLevel(logging.CRITICAL)


def load_params(path: Path | str) -> dict[str, Any]:
    """Read a pyradiomics parameter YAML file as a dict (validated later by pyradiomics itself)."""
    path = Path(path)
    if not path.is_file():
        raise CtDenoiseError(f"{path}: no such parameter file")
    try:
        params = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise CtDenoiseError(f"{path}: not valid YAML ({str(error).splitlines()[0]})") from None
    if not isinstance(params, dict):
        raise CtDenoiseError(f"{path}: a pyradiomics parameter file must be a mapping (setting, featureClass, ...)")
    return params


def resolve_params(params: dict | Path | str | None) -> dict[str, Any]:
    """The parameter dict to use: CT defaults for ``None``, a YAML file's content for a path, else a copy."""
    if params is None:
        return copy.deepcopy(CT_DEFAULT_PARAMS)
    if isinstance(params, str | Path):
        return load_params(params)
    return copy.deepcopy(params)


def build_extractor(params: dict | Path | str | None = None):
    """A configured ``radiomics.featureextractor.RadiomicsFeatureExtractor``; bad parameters → CtDenoiseError."""
    silence_pyradiomics()
    from radiomics.featureextractor import RadiomicsFeatureExtractor

    resolved = resolve_params(params)
    source = params if isinstance(params, str | Path) else "radiomics parameters"
    try:
        with warnings.catch_warnings():
            # pyradiomics discovers its feature classes with importlib's deprecated load_module().
            warnings.simplefilter("ignore", DeprecationWarning)
            extractor = RadiomicsFeatureExtractor(resolved)
    except Exception as error:  # pykwalify raises SchemaError, others raise ValueError/KeyError
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CtDenoiseError(f"{source}: invalid pyradiomics parameters ({message})") from None
    # Diagnostics (image hashes, ...) are dropped from our output anyway and cost seconds per nodule.
    extractor.settings["additionalInfo"] = False
    return extractor


def extraction_settings(extractor) -> dict[str, Any]:
    """The settings that shape the feature values (bin width, resampling, ...), for the output files."""
    settings = {key: extractor.settings.get(key) for key in REPORTED_SETTINGS if key in extractor.settings}
    settings["imageTypes"] = sorted(extractor.enabledImagetypes)
    settings["featureClasses"] = sorted(extractor.enabledFeatures)
    return settings


def _feature_name(key: str) -> str | None:
    """pyradiomics result key → our feature name; ``None`` for its diagnostics entries."""
    if key.startswith("diagnostics_"):
        return None
    return key.removeprefix("original_")


def extract_roi_features(image: Volume, roi: np.ndarray, extractor) -> dict[str, float]:
    """Features of one region (bool array on ``image``'s grid), computed on a box cropped around it.

    Cropping keeps pyradiomics fast (its B-spline resampling otherwise filters the whole scan for every nodule).
    pyradiomics anchors its resampled grid at the corner of the image it is given, so with resampling on, the
    1 mm sample positions follow the crop box rather than the scan corner: values can differ by a few percent from
    pyradiomics run on the whole file, exactly as they would for the same scan with a shifted origin. All methods
    of a comparison share the mask grid and the crop box, so they are sampled identically.
    """
    box = bounding_box(roi, CROP_MARGIN_VOXELS, image.shape)
    image_box = crop(image, box)
    mask_box = image_box.with_array(roi[box].astype(np.float32), modality="SEG")
    try:
        # Our own ROI is always label 1, whatever ``label`` a parameter file names.
        result = extractor.execute(volume_to_sitk(image_box), volume_to_sitk(mask_box, sitk.sitkUInt8), label=1)
    except (ValueError, RuntimeError) as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CtDenoiseError(f"{image.metadata.get('source_path', 'image')}: pyradiomics failed ({message})") from None
    features = {}
    for key, value in result.items():
        name = _feature_name(key)
        if name is not None:
            features[name] = float(np.asarray(value))
    return features


def extract_nodule_features(
    image: Volume,
    mask: Volume,
    params: dict | Path | str | None = None,
    min_voxels: int = DEFAULT_MIN_VOXELS,
    label: int | None = None,
    split: str = "auto",
    progress: bool = True,
) -> list[dict]:
    """Radiomic features of every nodule of ``mask`` in ``image``.

    The image is put on the mask's grid first (linear interpolation) when the two differ, e.g. a 2 mm low-dose
    scan with a mask drawn on the 1 mm full-dose scan, so every method is measured on the same voxels.

    Args:
        image: CT volume in HU.
        mask: label volume (0 = background); see ``split_nodules`` for how it is cut into nodules.
        params: pyradiomics parameters (dict or YAML path); ``None`` = ``CT_DEFAULT_PARAMS``.
        min_voxels: smallest nodule (in mask voxels) measured.
        label: measure only this label value.
        split: ``"auto"``, ``"labels"`` or ``"components"``.
        progress: show a progress bar over nodules.

    Returns:
        One dict per nodule: ``{"nodule": label, "firstorder_Mean": ..., "glcm_Contrast": ..., ...}``.

    Example:
        >>> import numpy as np
        >>> z, y, x = np.indices((16, 20, 20))
        >>> nodule = ((z - 8) ** 2 + (y - 10) ** 2 + (x - 10) ** 2 <= 16).astype(np.float32)
        >>> ct = Volume(np.where(nodule > 0, 40.0, -850.0))           # a solid nodule in lung
        >>> rows = extract_nodule_features(ct, Volume(nodule, modality="SEG"), progress=False)
        >>> rows[0]["nodule"], round(rows[0]["firstorder_Median"])
        (1, 40)
    """
    extractor = build_extractor(params)
    regions = split_nodules(mask, split=split, label=label, min_voxels=min_voxels)
    check_mask_inside_image(mask, image)  # else the nodules would be measured on the resampler's −1000 HU fill
    image_on_mask_grid = resample_to_grid(image, mask)
    rows = []
    for region in tqdm(regions, desc="radiomics", unit="nodule", disable=not progress, leave=False):
        rows.append({"nodule": region.label, **extract_roi_features(image_on_mask_grid, region.voxels, extractor)})
    return rows


def feature_family(feature_name: str) -> str:
    """Display family of a feature name (``glcm_Contrast`` → ``GLCM``); unknown classes keep their own name."""
    parts = feature_name.split("_")
    for part in parts:
        if part in FEATURE_FAMILIES:
            return FEATURE_FAMILIES[part]
    return parts[-2] if len(parts) > 1 else "other"
