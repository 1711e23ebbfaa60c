"""Benchmark: batch point → grid lookup on the `city` demo (~6 000 grids).

Prints points/second for zhili's GridIndex (raster + exact fallback) next to a reference
measured in the same run on the same points: a plain shapely 2 STRtree query (the obvious
way to do it), plus the time to create the shapely points the reference needs. Both run on
one core (NumPy and GEOS are single-threaded here). Answers of the two are compared, so a
fast wrong index cannot pass.

    python bench/grid_lookup.py [--size city] [--seed 1] [--points 2000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import shapely

from zhili.demo.city import generate_plan
from zhili.org.geo import NO_GRID, GridIndex, GridShape
from zhili.org.models import RegionLevel


def best_of(repeat: int, fn) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="city")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--points", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    t = time.perf_counter()
    plan = generate_plan(size=args.size, seed=args.seed)
    grids = plan.level(RegionLevel.grid)
    shapes = [GridShape(i, g.code, g.geometry) for i, g in enumerate(grids, start=1)]
    plan_s = time.perf_counter() - t

    t = time.perf_counter()
    index = GridIndex(shapes)
    build_s = time.perf_counter() - t

    rng = np.random.default_rng(args.seed)
    x0, y0, x1, y1 = shapely.total_bounds(index.polygons)
    # 10 % beyond the city's bounding box, so "no grid" answers are part of the load.
    pad_x, pad_y = (x1 - x0) * 0.05, (y1 - y0) * 0.05
    lons = rng.uniform(x0 - pad_x, x1 + pad_x, args.points)
    lats = rng.uniform(y0 - pad_y, y1 + pad_y, args.points)

    ours_s, ours = best_of(args.repeat, lambda: index.locate(lons, lats))

    def reference() -> np.ndarray:
        points = shapely.points(lons, lats)
        p_idx, g_idx = index.tree.query(points, predicate="intersects")
        out = np.full(len(lons), NO_GRID, dtype=np.int64)
        # reversed so that, on a shared border, the smallest grid index is written last
        order = np.lexsort((-g_idx, p_idx))
        out[p_idx[order]] = g_idx[order]
        return out

    ref_s, ref = best_of(args.repeat, reference)
    points_s, _ = best_of(args.repeat, lambda: shapely.points(lons, lats))
    assert isinstance(ours, np.ndarray) and isinstance(ref, np.ndarray)
    mismatches = int((ours != ref).sum())
    found = float((ours != NO_GRID).mean())

    print(
        f"machine: {platform.machine()} {os.cpu_count()} cpus, python {platform.python_version()}"
        f" numpy {np.__version__} shapely {shapely.__version__}"
    )
    print(f"city: size={args.size} seed={args.seed} grids={len(shapes)} (plan {plan_s:.1f} s)")
    print(
        f"index build: {build_s:.2f} s, raster {index.labels.shape[1]}x{index.labels.shape[0]}"
        f" cells, {index.mixed_share:.1%} on a boundary"
    )
    print(f"points: {args.points:,} ({found:.1%} inside a grid), best of {args.repeat}")
    print(
        f"zhili GridIndex.locate       : {args.points / ours_s:>14,.0f} points/s ({ours_s:.3f} s)"
    )
    print(f"reference STRtree.query      : {args.points / ref_s:>14,.0f} points/s ({ref_s:.3f} s)")
    rate = args.points / points_s
    print(f"  of which shapely.points()  : {rate:>14,.0f} points/s ({points_s:.3f} s)")
    print(f"speed-up over reference      : {ref_s / ours_s:.1f}x; answers differing: {mismatches}")
    if mismatches:
        raise SystemExit("the index disagrees with the exact reference")


if __name__ == "__main__":
    main()
