"""OpenMP settings that let CPU work share the machine with other processes.

OpenMP's default wait policy lets idle pool threads spin at every barrier, burning the cores that other processes
need, and then waits for threads the scheduler has parked behind those processes. ``OMP_WAIT_POLICY=PASSIVE``
(OpenMP 5.2 §6.7) makes idle threads sleep instead. ``benchmarks/bench_threads.py`` measured it on 2 cores that
other users' jobs already kept busy (so every number includes their load): a quick-preset STResNet training step
took 5.17 s with the default policy and 1.03 s with PASSIVE, and beside one more busy process 4.69 s vs 0.82 s;
an inference pass (16×64×64) 2.01 s vs 0.73 s alone and 2.95 s vs 1.19 s beside it. Using fewer torch threads
(cores minus busy processes) was not consistently better (training 1.62 s, inference 0.65 s beside the busy
process), so the thread count stays torch's.
"""

from __future__ import annotations

import os

WAIT_POLICY_VARIABLE = "OMP_WAIT_POLICY"


def set_passive_wait_policy() -> None:
    """``OMP_WAIT_POLICY=PASSIVE`` unless the user chose a policy.

    OpenMP reads it once, when torch loads its OpenMP runtime: call this before the first ``import torch``.
    """
    os.environ.setdefault(WAIT_POLICY_VARIABLE, "PASSIVE")
