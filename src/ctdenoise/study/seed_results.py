"""The seed study's published numbers (Wei & Hsu, MIDL 2021, Table 1 and Figure 2), for side-by-side reports.

CPU inference times (starred in the paper) are seconds per volume; the speed-ups 7.11 = 446.7 / 62.8 and
1.67 = 446.7 / 267.0 are CPU ratios (../shared/paper/NOTES.md). The FP16 rows are GPU mixed precision.
"""

from __future__ import annotations

SEED_TABLE1: list[dict[str, object]] = [
    {"model": "SRResNet", "precision": "FP32", "psnr": "31.31 ± 0.30", "ssim": "0.7216 ± 0.0113",
     "lpips": "0.3635 ± 0.0074", "inference_s": "27.4 (446.7 CPU)", "train_s_per_iter": "6.5",
     "inference_speedup": "N/A", "training_speedup": "N/A"},
    {"model": "STResNet", "precision": "FP32", "psnr": "31.91 ± 0.44", "ssim": "0.7265 ± 0.0110",
     "lpips": "0.3715 ± 0.0075", "inference_s": "14.4 (267.0 CPU)", "train_s_per_iter": "3.9",
     "inference_speedup": "1.67", "training_speedup": "1.65"},
    {"model": "SRResNet", "precision": "FP16", "psnr": "32.39 ± 0.52", "ssim": "0.7277 ± 0.0111",
     "lpips": "0.3640 ± 0.0075", "inference_s": "13.8", "train_s_per_iter": "4.9",
     "inference_speedup": "N/A", "training_speedup": "1.31"},
    {"model": "STResNet", "precision": "FP16", "psnr": "32.60 ± 0.64", "ssim": "0.7259 ± 0.0111",
     "lpips": "0.3732 ± 0.0076", "inference_s": "17.0", "train_s_per_iter": "3.2",
     "inference_speedup": "N/A", "training_speedup": "2.04"},
    {"model": "SRResNet", "precision": "INT8", "psnr": "31.15 ± 0.28", "ssim": "0.7064 ± 0.0109",
     "lpips": "0.3501 ± 0.0075", "inference_s": "108.7 CPU", "train_s_per_iter": "N/A",
     "inference_speedup": "4.11", "training_speedup": "N/A"},
    {"model": "STResNet", "precision": "INT8", "psnr": "31.11 ± 0.30", "ssim": "0.7135 ± 0.0109",
     "lpips": "0.3555 ± 0.0076", "inference_s": "62.8 CPU", "train_s_per_iter": "N/A",
     "inference_speedup": "7.11", "training_speedup": "N/A"},
]  # fmt: skip

SEED_CONSISTENT_FEATURES = "STResNet INT8: 31 of 57 features (54 %) not significantly different from SRResNet FP32"
SEED_CITATION = (
    "Wei L, Hsu W. Efficient and Accurate Spatial-Temporal Denoising Network for Low-dose CT Scans. MIDL 2021."
)
