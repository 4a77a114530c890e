"""The paper's figures: radiomics significance heat map (Figure 2) and the nodule ROI panel (Figure 1)."""

from ctdenoise.figures.nodule_panel import plot_nodule_panel
from ctdenoise.figures.radiomics_heatmap import plot_radiomics_heatmap

__all__ = ["plot_nodule_panel", "plot_radiomics_heatmap"]
