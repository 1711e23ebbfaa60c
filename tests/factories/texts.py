"""Labelled texts for the classifier tests, drawn from the demo's text generator."""

from __future__ import annotations

import random

from zhili.demo.texts import case_text

# Distinct enough to learn from a few hundred rows, with one confusable pair (noise).
CODES = ("C0201", "E0101", "E0601", "E0301", "H0201", "H0103")
PLACES = ("南明区花果园街道二社区", "云岩区中华北路社区", "观山湖区金阳街道")


def labelled(
    n: int, *, seed: int = 0, codes: tuple[str, ...] = CODES
) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    texts: list[str] = []
    labels: list[str] = []
    for i in range(n):
        code = codes[i % len(codes)]
        t = case_text(rng, code, rng.choice(PLACES), voice=rng.choice(("hotline", "resident")))
        texts.append(f"{t.title}。{t.description}")
        labels.append(code)
    return texts, labels
