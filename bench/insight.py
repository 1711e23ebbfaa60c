"""Insight benchmarks: texts classified per second (classify half) and a full hotspot +
anomaly scan over many cases (detect half). Each figure is printed next to a reference
measured in the same run.

    PYTHONPATH=src python bench/insight.py [--texts N] ...
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from collections.abc import Callable

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from threadpoolctl import threadpool_limits

from zhili.demo.kinds import DEFAULT_KIND, KINDS
from zhili.demo.texts import case_text, topics
from zhili.insight.classify.compiled import CompiledClassifier
from zhili.insight.classify.evaluation import fit
from zhili.insight.classify.features import Params, build_pipeline
from zhili.insight.detect.hotspots import HotspotParams, build_zones
from zhili.insight.detect.matching import score_hotspots, score_surges
from zhili.insight.detect.run import CaseArrays, scan
from zhili.insight.detect.synthetic import synthetic_year

PLACES = ("南明区花果园街道二社区3网格", "云岩区中华北路社区", "观山湖区金阳街道", "乌当区新添寨")


def demo_texts(n: int, seed: int) -> tuple[list[str], list[str]]:
    """Demo case texts with the demo's category mix (zhili.demo.texts)."""
    rng = random.Random(seed)
    codes = sorted(topics())
    weights = [KINDS.get(c, DEFAULT_KIND).weight for c in codes]
    labels = rng.choices(codes, weights, k=n)
    texts = []
    for code in labels:
        voice = rng.choice(("hotline", "resident", "patrol"))
        t = case_text(rng, code, rng.choice(PLACES), voice=voice)
        texts.append(f"{t.title}。{t.description}")
    return texts, labels


def _rate(label: str, texts: list[str], run: Callable[[list[str]], object]) -> float:
    # CPU seconds of this process, best of three: on a shared machine wall time mostly
    # measures the other tenants; one thread, so CPU time is time on one core.
    best = wall = 0.0
    for _ in range(3):
        started, clock = time.process_time(), time.perf_counter()
        for i in range(0, len(texts), 1000):  # batches of 1 000
            run(texts[i : i + 1000])
        cpu = time.process_time() - started
        if len(texts) / cpu > best:
            best, wall = len(texts) / cpu, len(texts) / (time.perf_counter() - clock)
    print(f"  {label:<58} {best:>9,.0f} texts/s (wall {wall:,.0f})")
    return best


def bench_classify(args: argparse.Namespace) -> None:
    """Texts classified per second on one core, next to references over the same texts."""
    train_texts, train_labels = demo_texts(args.train, seed=1)
    counts = Counter(train_labels)
    keep = [i for i, label in enumerate(train_labels) if counts[label] >= 3]
    train_texts = [train_texts[i] for i in keep]
    train_labels = [train_labels[i] for i in keep]
    texts, _ = demo_texts(args.texts, seed=2)
    with threadpool_limits(1):
        started = time.perf_counter()
        params = Params()
        pipeline = fit(build_pipeline(params), params, train_texts, train_labels)
        model = CompiledClassifier(pipeline)
        fitted = time.perf_counter() - started
        print(
            f"classifier: {len(train_texts)} training texts, {len(set(train_labels))} labels, "
            f"fitted in {fitted:.1f} s; {len(texts)} texts, mean "
            f"{sum(map(len, texts)) / len(texts):.0f} characters, one core"
        )
        keywords = {
            code: [w for w in topics()[code][0].split("|") if len(w) > 1] for code in topics()
        }

        def lookup(batch: list[str]) -> list[str | None]:
            return [
                next((c for c, words in keywords.items() if any(w in t for w in words)), None)
                for t in batch
            ]

        bare = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2).fit(train_texts)
        _rate("reference: keyword lookup (first matching subject)", texts, lookup)
        _rate("reference: bare sklearn char 1-3-gram tf-idf transform", texts, bare.transform)
        _rate(
            "reference: same model via sklearn's own predict_proba", texts, pipeline.predict_proba
        )
        _rate(
            "features only (char n-grams + rjieba words, tf-idf)", texts, model.features.transform
        )
        rate = _rate(
            "classified: features + SVM + calibrated probabilities", texts, model.predict_proba
        )
        single = texts[:2000]
        started = time.process_time()
        for t in single:
            model.predict_proba([t])
        each = (time.process_time() - started) / len(single) * 1000
        print(f"  one text at a time (as at intake): {each:.2f} ms per text")
        print(f"  target >= 5 000 texts/s: {'met' if rate >= 5000 else 'NOT met'}")


def bench_scan(args: argparse.Namespace) -> None:
    """A full hotspot + anomaly scan over a year of N cases, next to plain NumPy passes over
    the same arrays (a bincount of every case's category x cell x day, and one sort of them)."""
    year = synthetic_year(
        cases=args.cases, seed=11, cells=args.cells, areas=args.areas, categories=60
    )
    n = len(year.day)
    print(
        f"scan: {n:,} cases over {year.days} days, {args.cells} grids, {year.areas} districts, "
        f"{year.categories} categories; {len(year.hotspots)} hotspots and "
        f"{len(year.surges)} surges planted"
    )
    key = (year.category * args.cells + year.cell) * 400 + (year.day - year.first_day)
    started = time.perf_counter()
    np.bincount(year.category * args.cells + year.cell)
    print(
        f"  reference: np.bincount (category x grid)        {time.perf_counter() - started:8.3f} s"
    )
    started = time.perf_counter()
    np.sort(key)
    print(
        f"  reference: np.sort of the cases' keys          {time.perf_counter() - started:8.3f} s"
    )
    params = HotspotParams()
    started, cpu = time.perf_counter(), time.process_time()
    zones = build_zones(year.xy, neighbours=params.neighbours, max_radius_km=params.max_radius_km)
    arrays = CaseArrays(
        year.day,
        year.category,
        year.cell,
        year.area,
        year.categories,
        year.areas,
        year.first_day,
    )
    result = scan(
        arrays,
        zones=zones,
        start=year.first_day + 56,
        end=year.first_day + year.days,
        hotspot_params=params,
    )
    total, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"  hotspots (rolling 28-day periods, whole year)  {result.seconds['hotspots']:8.3f} s")
    print(f"  surges + change points (all series)            {result.seconds['anomalies']:8.3f} s")
    print(f"  full scan incl. zones                          {total:8.3f} s (CPU {cpu:.3f} s)")
    cell_area = list(year.cell_area)
    hot = score_hotspots(result.hotspots, year.hotspots, year.surges, cell_area)
    surge = score_surges(result.surges, year.surges, year.hotspots, cell_area)
    print(
        f"  found: hotspots recall {hot.recall:.2f} precision {hot.precision:.2f} "
        f"({hot.found}); surges recall {surge.recall:.2f} precision {surge.precision:.2f} "
        f"({surge.found}); {len(result.changes)} change points"
    )
    print(f"  target < 10 s: {'met' if total < 10 else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=("classify", "scan"), default=None)
    parser.add_argument("--train", type=int, default=5000, help="training texts (classify)")
    parser.add_argument("--texts", type=int, default=20000, help="texts to classify")
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases to scan")
    parser.add_argument("--cells", type=int, default=6000, help="grids (scan)")
    parser.add_argument("--areas", type=int, default=16, help="districts (scan)")
    args = parser.parse_args()
    if args.only in (None, "classify"):
        bench_classify(args)
    if args.only in (None, "scan"):
        bench_scan(args)


if __name__ == "__main__":
    main()
