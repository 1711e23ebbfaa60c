"""Benchmark: uncertainty analysis of the 133-indicator 平安甘肃 example over 200 units.

Prints the time of ``zhili.indices.uncertainty.analyse`` (1 000 Monte Carlo runs over
imputation × normalisation × weight noise × aggregation × leave-one-out, with Sobol indices)
next to two references measured in the same run on the same data:

- the plain way: one nominal ``compute`` per run in a Python loop (timed over ``--loop`` runs
  and scaled to the same number of runs);
- the floor: NumPy doing only the arithmetic core of 1 000 runs — one (runs × 133) by
  (133 × 200) weighted sum and a rank of each run — which no implementation can beat.

    python bench/index.py [--units 200] [--runs 1000] [--repeat 3] [--loop 20]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy

from zhili.indices import demo, framework
from zhili.indices.pipeline import compute
from zhili.indices.uncertainty import analyse


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--loop", type=int, default=20)
    args = parser.parse_args()

    fw = framework.load("gansu_safety")
    units = [
        demo.Unit(f"U{i:04d}", f"单位{i}", 20_000 + 317 * i, f"D{i % 20:02d}")
        for i in range(args.units)
    ]
    table = demo.demo_table(fw, units, seed=1)
    assert fw.spec.uncertainty is not None
    spec = fw.spec.uncertainty.model_copy(update={"runs": args.runs})
    m = len(fw.indicators)

    mc_s, u = best_of(args.repeat, lambda: analyse(fw, table, spec))
    heavy = spec.model_copy(update={"aggregate": ["arithmetic", "geometric", "topsis", "copeland"]})
    heavy_s, _ = best_of(1, lambda: analyse(fw, table, heavy))

    t = time.perf_counter()
    for _ in range(args.loop):
        compute(fw, table)
    loop_s = (time.perf_counter() - t) / args.loop * u.runs

    rng = np.random.default_rng(0)
    x = rng.random((args.units, m))
    w = rng.random((u.runs, m))

    def floor() -> np.ndarray:
        scores = w @ x.T
        return np.argsort(np.argsort(-scores, axis=1), axis=1)

    floor_s, _ = best_of(args.repeat, floor)

    versions = f"numpy {np.__version__}, scipy {scipy.__version__}"
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, {versions}")  # fmt: skip
    print(f"framework: {fw.name}: {m} indicators, {len(fw.aggregates)} aggregates; "
          f"{args.units} units; factors {', '.join(u.factors)}")  # fmt: skip
    print(f"runs: {u.runs} (N = {u.base_samples} base samples × (k + 2) = {len(u.factors) + 2})")
    print(f"zhili analyse, best of {args.repeat}:            {mc_s:8.3f} s   (target < 3 s)")
    print(f"  with TOPSIS and Copeland among the methods: {heavy_s:8.3f} s")
    print(f"reference: nominal compute × {u.runs} in a loop: {loop_s:8.3f} s   "
          f"(measured over {args.loop}, scaled; {loop_s / mc_s:.0f}× slower)")  # fmt: skip
    print(f"floor: numpy matmul + ranks of {u.runs} runs:  {floor_s:8.3f} s")
    sobol = ", ".join(f"{f} {u.first_order[f]:.2f}/{u.total[f]:.2f}" for f in u.factors)
    print(f"mean shift in ranks {u.mean_shift:.2f}; Sobol S_i / S_Ti: {sobol}")


if __name__ == "__main__":
    main()
