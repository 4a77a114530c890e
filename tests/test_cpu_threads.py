"""The CLI starts torch with OpenMP's passive wait policy unless the user chose one (speed itself is measured in
benchmarks/bench_threads.py, never asserted here)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SRC = os.path.join(os.path.dirname(__file__), "..", "src")
# What libgomp (the OpenMP runtime torch ships) was told, read back from the environment torch started with.
PROBE = (
    "import os, sys; from ctdenoise.cli.main import main; sys.argv = ['ctdenoise', 'version']\n"
    "try:\n    main()\nexcept SystemExit:\n    pass\n"
    "import torch; print(os.environ.get('OMP_WAIT_POLICY'), 'torch' in sys.modules)"
)


@pytest.mark.parametrize(("user_policy", "expected"), [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_the_cli_sets_passive_waiting_before_torch_starts_and_a_users_choice_wins(user_policy, expected):
    env = {key: value for key, value in os.environ.items() if key != "OMP_WAIT_POLICY"}
    env["PYTHONPATH"] = os.path.abspath(SRC)
    if user_policy:
        env["OMP_WAIT_POLICY"] = user_policy
    completed = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True)
    assert completed.stdout.split()[-2:] == [expected, "True"]
