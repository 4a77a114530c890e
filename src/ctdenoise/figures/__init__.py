"""The paper's figures (radiomics significance heat map, Figure 2; nodule ROI panel, Figure 1) and before/after views."""

from ctdenoise.figures.before_after import plot_before_after
from ctdenoise.figures.nodule_panel import plot_nodule_panel
from ctdenoise.figures.radiomics_heatmap import plot_radiomics_heatmap

__all__ = ["plot_before_after", "plot_nodule_panel", "plot_radiomics_heatmap"]
