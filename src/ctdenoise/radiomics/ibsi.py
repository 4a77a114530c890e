"""pyradiomics feature names ↔ IBSI 1 tags, and the pyradiomics settings that reproduce IBSI's digital phantom.

Reference: Zwanenburg A. et al., "The Image Biomarker Standardization Initiative", Radiology 2020;295:328-338, and
the IBSI 1 reference manual (arXiv:1612.07003). Tags are IBSI's (``stat_mean``, ``cm_joint_max_3D_avg``, ...).

pyradiomics computes GLCM and GLRLM features per direction (13 in 3D) and averages them, which is IBSI's
"3D averaged" aggregation; GLSZM zones use 26-connectivity in 3D, IBSI's "3D" aggregation.
"""

from __future__ import annotations

#: pyradiomics settings equivalent to IBSI configuration for the digital phantom: no resampling, no
#: re-segmentation, grey levels used as they are (bin width 1; pyradiomics starts bins at
#: ``floor(min / binWidth) * binWidth``, so integer grey levels g ≥ 1 fall in bin g), 3D, symmetric GLCM at
#: distance 1 over 13 directions, 26-connected zones.
IBSI_PHANTOM_PARAMS: dict = {
    "imageType": {"Original": {}},
    "featureClass": {"firstorder": [], "glcm": [], "glrlm": [], "glszm": []},
    "setting": {
        "binWidth": 1,
        "label": 1,
        "force2D": False,
        "distances": [1],
        "symmetricalGLCM": True,
        "voxelArrayShift": 0,
        "minimumROIDimensions": 1,
        "minimumROISize": 1,
    },
}

#: Every non-deprecated pyradiomics first-order, GLCM, GLRLM and GLSZM feature that IBSI defines, with its IBSI tag
#: under the 3D (averaged) aggregation. Names are pyradiomics' ``<class>_<feature>`` (its ``original_`` prefix off).
PYRADIOMICS_TO_IBSI: dict[str, str] = {
    # Intensity statistics (IBSI 3.3) on the raw grey levels.
    "firstorder_Mean": "stat_mean",
    "firstorder_Variance": "stat_var",
    "firstorder_Skewness": "stat_skew",
    "firstorder_Kurtosis": "stat_kurt",  # IBSI = excess kurtosis = pyradiomics − 3, see to_ibsi_value
    "firstorder_Median": "stat_median",
    "firstorder_Minimum": "stat_min",
    "firstorder_10Percentile": "stat_p10",
    "firstorder_90Percentile": "stat_p90",
    "firstorder_Maximum": "stat_max",
    "firstorder_InterquartileRange": "stat_iqr",
    "firstorder_Range": "stat_range",
    "firstorder_MeanAbsoluteDeviation": "stat_mad",
    "firstorder_RobustMeanAbsoluteDeviation": "stat_rmad",
    "firstorder_Energy": "stat_energy",
    "firstorder_RootMeanSquared": "stat_rms",
    # pyradiomics computes these two on the discretised image: IBSI's intensity-histogram family (3.4).
    "firstorder_Entropy": "ih_entropy",
    "firstorder_Uniformity": "ih_uniformity",
    # Grey level co-occurrence matrix (IBSI 3.6), 3D averaged.
    "glcm_MaximumProbability": "cm_joint_max_3D_avg",
    "glcm_JointAverage": "cm_joint_avg_3D_avg",
    "glcm_SumSquares": "cm_joint_var_3D_avg",
    "glcm_JointEntropy": "cm_joint_entr_3D_avg",
    "glcm_DifferenceAverage": "cm_diff_avg_3D_avg",  # also IBSI cm_dissimilarity (same formula)
    "glcm_DifferenceVariance": "cm_diff_var_3D_avg",
    "glcm_DifferenceEntropy": "cm_diff_entr_3D_avg",
    "glcm_SumAverage": "cm_sum_avg_3D_avg",
    "glcm_SumEntropy": "cm_sum_entr_3D_avg",
    "glcm_JointEnergy": "cm_energy_3D_avg",
    "glcm_Contrast": "cm_contrast_3D_avg",
    "glcm_Id": "cm_inv_diff_3D_avg",
    "glcm_Idn": "cm_inv_diff_norm_3D_avg",
    "glcm_Idm": "cm_inv_diff_mom_3D_avg",
    "glcm_Idmn": "cm_inv_diff_mom_norm_3D_avg",
    "glcm_InverseVariance": "cm_inv_var_3D_avg",
    "glcm_Correlation": "cm_corr_3D_avg",
    "glcm_Autocorrelation": "cm_auto_corr_3D_avg",
    "glcm_ClusterTendency": "cm_clust_tend_3D_avg",  # also IBSI cm_sum_var (same formula)
    "glcm_ClusterShade": "cm_clust_shade_3D_avg",
    "glcm_ClusterProminence": "cm_clust_prom_3D_avg",
    "glcm_Imc1": "cm_info_corr1_3D_avg",
    "glcm_Imc2": "cm_info_corr2_3D_avg",
    # Grey level run length matrix (IBSI 3.7), 3D averaged.
    "glrlm_ShortRunEmphasis": "rlm_sre_3D_avg",
    "glrlm_LongRunEmphasis": "rlm_lre_3D_avg",
    "glrlm_LowGrayLevelRunEmphasis": "rlm_lgre_3D_avg",
    "glrlm_HighGrayLevelRunEmphasis": "rlm_hgre_3D_avg",
    "glrlm_ShortRunLowGrayLevelEmphasis": "rlm_srlge_3D_avg",
    "glrlm_ShortRunHighGrayLevelEmphasis": "rlm_srhge_3D_avg",
    "glrlm_LongRunLowGrayLevelEmphasis": "rlm_lrlge_3D_avg",
    "glrlm_LongRunHighGrayLevelEmphasis": "rlm_lrhge_3D_avg",
    "glrlm_GrayLevelNonUniformity": "rlm_glnu_3D_avg",
    "glrlm_GrayLevelNonUniformityNormalized": "rlm_glnu_norm_3D_avg",
    "glrlm_RunLengthNonUniformity": "rlm_rlnu_3D_avg",
    "glrlm_RunLengthNonUniformityNormalized": "rlm_rlnu_norm_3D_avg",
    "glrlm_RunPercentage": "rlm_r_perc_3D_avg",
    "glrlm_GrayLevelVariance": "rlm_gl_var_3D_avg",
    "glrlm_RunVariance": "rlm_rl_var_3D_avg",
    "glrlm_RunEntropy": "rlm_rl_entr_3D_avg",
    # Grey level size zone matrix (IBSI 3.8), 3D.
    "glszm_SmallAreaEmphasis": "szm_sze_3D",
    "glszm_LargeAreaEmphasis": "szm_lze_3D",
    "glszm_LowGrayLevelZoneEmphasis": "szm_lgze_3D",
    "glszm_HighGrayLevelZoneEmphasis": "szm_hgze_3D",
    "glszm_SmallAreaLowGrayLevelEmphasis": "szm_szlge_3D",
    "glszm_SmallAreaHighGrayLevelEmphasis": "szm_szhge_3D",
    "glszm_LargeAreaLowGrayLevelEmphasis": "szm_lzlge_3D",
    "glszm_LargeAreaHighGrayLevelEmphasis": "szm_lzhge_3D",
    "glszm_GrayLevelNonUniformity": "szm_glnu_3D",
    "glszm_GrayLevelNonUniformityNormalized": "szm_glnu_norm_3D",
    "glszm_SizeZoneNonUniformity": "szm_zsnu_3D",
    "glszm_SizeZoneNonUniformityNormalized": "szm_zsnu_norm_3D",
    "glszm_ZonePercentage": "szm_z_perc_3D",
    "glszm_GrayLevelVariance": "szm_gl_var_3D",
    "glszm_ZoneVariance": "szm_zs_var_3D",
    "glszm_ZoneEntropy": "szm_zs_entr_3D",
}

#: IBSI features whose formula is another pyradiomics feature under a second IBSI name.
IBSI_ALIASES: dict[str, str] = {
    "cm_dissimilarity_3D_avg": "glcm_DifferenceAverage",
    "cm_sum_var_3D_avg": "glcm_ClusterTendency",
}

#: pyradiomics features of these classes that IBSI 1 does not define, and why.
NOT_IN_IBSI: dict[str, str] = {
    "firstorder_TotalEnergy": "Energy scaled by the voxel volume; a pyradiomics addition",
    "glcm_MCC": "maximal correlation coefficient; not part of IBSI 1",
}


#: IBSI intensity-statistics features pyradiomics does not compute (all other first-order, 3D-averaged GLCM/GLRLM and
#: 3D GLSZM features of IBSI 1 are covered above).
IBSI_NOT_IN_PYRADIOMICS: dict[str, str] = {
    "stat_medad": "median absolute deviation",
    "stat_cov": "coefficient of variation",
    "stat_qcod": "quartile coefficient of dispersion",
}


def to_ibsi_value(feature_name: str, value: float) -> float:
    """A pyradiomics value in IBSI's definition: only kurtosis differs (IBSI reports excess kurtosis, −3)."""
    if feature_name == "firstorder_Kurtosis":
        return value - 3.0
    return value


def to_ibsi(features: dict[str, float]) -> dict[str, float]:
    """IBSI tag → value for every feature in ``features`` that has an IBSI tag (aliases included)."""
    tagged = {
        PYRADIOMICS_TO_IBSI[name]: to_ibsi_value(name, value)
        for name, value in features.items()
        if name in PYRADIOMICS_TO_IBSI
    }
    for tag, name in IBSI_ALIASES.items():
        if name in features:
            tagged[tag] = features[name]
    return tagged
