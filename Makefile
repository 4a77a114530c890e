# Two set-up commands for a fresh machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_OUT ?= demo-output

.PHONY: install demo test lint clean

$(BIN)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# One pip command for everything, torch pinned in it (requirements.txt), so pip keeps the CPU build.
	$(BIN)/pip install -r requirements.txt -e .
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/ctdenoise reproduce --preset quick --out $(DEMO_OUT) --resume

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

test: install lint
	$(BIN)/python -m pytest -n 2 -q

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache
