"""CPU work beside other processes: how much slower training and inference get when CPU-bound competitors run,
per thread-pool setting.

A laptop or a shared server always runs other processes. With C cores and K busy single-threaded competitors, a
fair scheduler leaves us C − K cores, so the fair-share slowdown is at most C / (C − K) (2× for one competitor on
two cores). OpenMP's default wait policy makes idle pool threads spin, and a pool with as many threads as cores
then waits at every barrier for the thread the scheduler has parked behind a competitor; this script measures
what each setting costs:

* ``default``: torch's own thread count (one per core), OpenMP's default wait policy;
* ``passive``: ``OMP_WAIT_POLICY=PASSIVE`` (idle threads sleep instead of spinning, OpenMP 5.2 §6.7);
* ``fair``: ``torch.set_num_threads(C − K)``, the cores ``os.sched_getaffinity`` gives minus the competitors;
* ``passive+fair``: both. The CLI now runs as ``passive`` (``ctdenoise.cpu_threads``), chosen from these numbers.

Each setting runs in a fresh process (the wait policy is read once, when OpenMP starts), first alone and then
with K competitors (``python -c 'while True: pass'``). It prints seconds per step and the slowdown ratios, and
asserts nothing. On a machine shared with other users the "alone" numbers already include their load: say so
when you report them.

Run::

    .venv/bin/python benchmarks/bench_threads.py                                   # quick STResNet training step
    .venv/bin/python benchmarks/bench_threads.py --workload infer --competitors 2 --json threads.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

SETTINGS = {
    "default": {"env": {}, "threads": None},
    "passive": {"env": {"OMP_WAIT_POLICY": "PASSIVE"}, "threads": None},
    "fair": {"env": {}, "threads": "fair"},
    "passive+fair": {"env": {"OMP_WAIT_POLICY": "PASSIVE"}, "threads": "fair"},
}
COMPETITOR = "while True: pass"


def _triple(text: str) -> tuple[int, int, int]:
    values = tuple(int(part) for part in text.split(","))
    if len(values) != 3:
        raise argparse.ArgumentTypeError(f"expected z,y,x, got {text!r}")
    return values  # type: ignore[return-value]


def _worker(args: argparse.Namespace) -> None:
    """One measurement in this process: seconds per step (median), printed as JSON on stdout."""
    import torch

    if args.threads is not None:
        torch.set_num_threads(int(args.threads))
    from ctdenoise.models import build_model, preset_config

    config = preset_config(args.preset, args.arch)
    if args.workload == "train":
        from ctdenoise.training.speed import seconds_per_training_iteration

        seconds = seconds_per_training_iteration(
            config, patch_zyx=args.patch, batch_size=args.batch, iterations=args.iterations, warmup=2
        )
    else:
        model = build_model(config).eval()
        patch = torch.randn(args.batch, 1, *args.patch)
        times = []
        with torch.inference_mode():
            for step in range(args.iterations + 2):
                start = time.perf_counter()
                model(patch)
                if step >= 2:
                    times.append(time.perf_counter() - start)
        seconds = statistics.median(times)
    print(json.dumps({"seconds": seconds, "threads": torch.get_num_threads()}))


def _measure(args: argparse.Namespace, setting: dict, threads: int | None) -> dict:
    env = {**os.environ, **setting["env"]}
    command = [sys.executable, __file__, "--worker", "--workload", args.workload, "--preset", args.preset]
    command += ["--arch", args.arch, "--patch", ",".join(map(str, args.patch)), "--batch", str(args.batch)]
    command += ["--iterations", str(args.iterations)]
    if threads is not None:
        command += ["--threads", str(threads)]
    completed = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workload", choices=("train", "infer"), default="train")
    parser.add_argument("--preset", default="quick", help="model preset (tiny, quick, bench, paper)")
    parser.add_argument("--arch", default="stresnet", help="srresnet or stresnet")
    parser.add_argument("--patch", type=_triple, default=(8, 40, 40), help="patch z,y,x (quick preset: 8,40,40)")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--competitors", type=int, default=1, help="busy single-threaded processes beside us")
    parser.add_argument("--settings", default=",".join(SETTINGS), help=f"comma list of {', '.join(SETTINGS)}")
    parser.add_argument("--json", dest="json_path", help="also write the results to this JSON file")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--threads", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args)
        return

    cores = len(os.sched_getaffinity(0))
    fair_threads = max(1, cores - args.competitors)
    bound = cores / fair_threads
    print(
        f"{args.workload} step, {args.arch} preset {args.preset}, patch {args.patch}, batch {args.batch}; "
        f"{cores} cores in our affinity, {args.competitors} competitor(s), load average before "
        f"{os.getloadavg()[0]:.2f}; fair-share slowdown bound {bound:.2f}x",
        flush=True,
    )
    results = []
    for name in args.settings.split(","):
        setting = SETTINGS[name]
        threads = fair_threads if setting["threads"] == "fair" else None
        alone = _measure(args, setting, threads)
        competitors = [subprocess.Popen([sys.executable, "-c", COMPETITOR]) for _ in range(args.competitors)]
        try:
            time.sleep(1.0)  # let the scheduler see them
            busy = _measure(args, setting, threads)
        finally:
            for process in competitors:
                process.kill()
                process.wait()
        row = {
            "setting": name,
            "threads_alone": alone["threads"],
            "threads_busy": busy["threads"],
            "alone_s": alone["seconds"],
            "busy_s": busy["seconds"],
            "slowdown": busy["seconds"] / alone["seconds"],
        }
        results.append(row)
        print(
            f"  {name:<13} threads {alone['threads']:>2}/{busy['threads']:>2}  alone {alone['seconds']:.4f} s  "
            f"beside {args.competitors}: {busy['seconds']:.4f} s  slowdown {row['slowdown']:.2f}x",
            flush=True,
        )
    default_alone = next((r["alone_s"] for r in results if r["setting"] == "default"), None)
    if default_alone:
        print("beside the competitors, relative to the default setting alone:")
        for row in results:
            print(f"  {row['setting']:<13} {row['busy_s'] / default_alone:.2f}x  (bound {bound:.2f}x)")
    if args.json_path:
        with open(args.json_path, "w") as handle:
            json.dump({"cores": cores, "competitors": args.competitors, "bound": bound, "results": results}, handle)


if __name__ == "__main__":
    main()
