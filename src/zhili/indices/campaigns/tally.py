"""Questionnaire tallies: counts per option, and rates with a Wilson score interval.

A question's *rate* is the share of positive answers among those who answered it:
satisfaction (Likert 1–5: answers ≥ ``positive_min``, by default 4 = 比较满意 and 5 = 非常满意),
awareness (知晓率: the share answering yes), or a single choice whose ``positive`` options
are named (e.g. 满意 and 基本满意).

The interval is Wilson's (1927) score interval, not the textbook p ± z·√(p(1−p)/n): at the
sample sizes of one unit's survey (often 30–100) and rates near 90 % the latter is too narrow
and can pass 100 %. With p̂ = k/n and z = 1.96 (95 %):

    centre = (p̂ + z²/2n) / (1 + z²/n)
    half   = z / (1 + z²/n) · √(p̂(1−p̂)/n + z²/4n²)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

Z95 = 1.959963984540054  # the 97.5 % quantile of the standard normal
LIKERT_LABELS_ZH = {1: "非常不满意", 2: "不太满意", 3: "一般", 4: "比较满意", 5: "非常满意"}


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of k successes in n trials; (0, 1) when n is 0."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def is_positive(question: dict[str, Any], answer: Any) -> bool:
    kind = question["kind"]
    if kind == "likert":
        return int(answer) >= int(question.get("positive_min") or 4)
    if kind == "awareness":
        return answer is True
    return answer in (question.get("positive") or [])


def has_rate(question: dict[str, Any]) -> bool:
    return question["kind"] in ("likert", "awareness") or bool(question.get("positive"))


@dataclass
class Tally:
    code: str
    text: str
    kind: str
    n: int = 0
    positive: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    rated: bool = True

    @property
    def rate(self) -> float | None:
        return self.positive / self.n if self.n and self.rated else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.positive, self.n) if self.n and self.rated else None

    def as_dict(self) -> dict[str, Any]:
        low_high = self.interval
        return {
            "code": self.code,
            "text": self.text,
            "kind": self.kind,
            "n": self.n,
            "positive": self.positive,
            "rate": None if self.rate is None else round(self.rate, 6),
            "ci_low": None if low_high is None else round(low_high[0], 6),
            "ci_high": None if low_high is None else round(low_high[1], 6),
            "counts": self.counts,
        }


def _label(question: dict[str, Any], answer: Any) -> str:
    if question["kind"] == "awareness":
        return "知晓" if answer is True else "不知晓"
    if question["kind"] == "likert":
        return LIKERT_LABELS_ZH.get(int(answer), str(answer))
    return str(answer)


def tally(questions: list[dict[str, Any]], answers: Iterable[dict[str, Any]]) -> dict[str, Tally]:
    """One tally per question over the given responses' answers (unanswered ones skipped)."""
    out = {
        q["code"]: Tally(code=q["code"], text=q["text"], kind=q["kind"], rated=has_rate(q))
        for q in questions
    }
    by_code = {q["code"]: q for q in questions}
    for response in answers:
        for code, answer in response.items():
            q = by_code.get(code)
            if q is None or answer is None:
                continue
            t = out[code]
            t.n += 1
            label = _label(q, answer)
            t.counts[label] = t.counts.get(label, 0) + 1
            if t.rated and is_positive(q, answer):
                t.positive += 1
    return out
