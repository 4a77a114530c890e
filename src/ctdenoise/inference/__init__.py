"""Whole-volume inference on the CPU: sliding windows, PyTorch/OpenVINO/ONNX Runtime, INT8, export, benchmark.

Heavy libraries (torch, OpenVINO, NNCF, ONNX Runtime) are imported inside the functions that use them.
"""

from ctdenoise.inference.benchmark import run_benchmark, time_whole_scan
from ctdenoise.inference.denoise import denoise_volume, output_geometry
from ctdenoise.inference.loading import InferenceModel, load_inference_model, make_predictor
from ctdenoise.inference.quantize import QuantizeResult, quantize_model
from ctdenoise.inference.sliding_window import sliding_window_denoise

__all__ = [
    "InferenceModel",
    "QuantizeResult",
    "denoise_volume",
    "load_inference_model",
    "make_predictor",
    "output_geometry",
    "quantize_model",
    "run_benchmark",
    "sliding_window_denoise",
    "time_whole_scan",
]
