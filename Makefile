# Two set-up commands for a fresh machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_OUT ?= demo-output
# The demo's LPIPS weights come from the shared data folder when it is there (no downloads at run time).
SHARED_DIR ?= $(if $(CTDENOISE_SHARED),$(CTDENOISE_SHARED),../shared)
LPIPS_DIR := $(wildcard $(abspath $(SHARED_DIR))/weights/lpips)
ifneq ($(LPIPS_DIR),)
export CTDENOISE_LPIPS_WEIGHTS ?= $(LPIPS_DIR)
endif

.PHONY: install demo test lint clean

$(BIN)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# One pip command for everything, torch pinned in it (requirements.txt), so pip keeps the CPU build.
	$(BIN)/pip install -r requirements.txt -e .
	touch $@

install: $(BIN)/.installed

# The demo starts on real anatomy: the packaged LIDC-IDRI-0003 crop at 10 % dose, denoised by the built-in STResNet
# (OpenVINO INT8), written as DICOM with a before/after figure; then the whole study on the phantom cohort.
EXAMPLES := src/ctdenoise/examples

demo: install
	mkdir -p $(DEMO_OUT)
	$(BIN)/ctdenoise denoise $(EXAMPLES)/lidc-idri-0003-crop-low_dose_10pct.nii.gz $(DEMO_OUT)/example-denoised-dicom \
		--reference $(EXAMPLES)/lidc-idri-0003-crop-full_dose.nii.gz --preview $(DEMO_OUT)/example-before-after.png --overwrite
	$(BIN)/ctdenoise reproduce --preset quick --out $(DEMO_OUT) --resume

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

test: install lint
	$(BIN)/python -m pytest -n 2 -q

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache
