"""Insight benchmarks: texts classified per second (classify half) and a full hotspot +
anomaly scan over many cases (detect half). Each figure is printed next to a reference
measured in the same run.

    PYTHONPATH=src python bench/insight.py [--texts N] ...
"""

from __future__ import annotations

import argparse


def bench_classify(args: argparse.Namespace) -> None:
    """Texts classified per second on one core (filled in by the classify half)."""


def bench_scan(args: argparse.Namespace) -> None:
    """Hotspot + anomaly scan over N cases (the detect half)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=("classify", "scan"), default=None)
    args = parser.parse_args()
    if args.only in (None, "classify"):
        bench_classify(args)
    if args.only in (None, "scan"):
        bench_scan(args)


if __name__ == "__main__":
    main()
