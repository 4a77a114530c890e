"""Nodule radiomics (pyradiomics, IBSI-checked) and the paired statistics that compare denoising methods."""

from ctdenoise.radiomics.extractor import (
    CT_DEFAULT_PARAMS,
    FEATURE_FAMILIES,
    build_extractor,
    extract_nodule_features,
    extraction_settings,
    feature_family,
    load_params,
)
from ctdenoise.radiomics.nodules import split_nodules
from ctdenoise.radiomics.stats import benjamini_hochberg, concordance_correlation, paired_feature_tests

__all__ = [
    "CT_DEFAULT_PARAMS",
    "FEATURE_FAMILIES",
    "benjamini_hochberg",
    "build_extractor",
    "concordance_correlation",
    "extract_nodule_features",
    "extraction_settings",
    "feature_family",
    "load_params",
    "paired_feature_tests",
    "split_nodules",
]
