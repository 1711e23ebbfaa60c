"""The text pipeline: character n-grams plus words, a linear model, calibrated probabilities.

Chinese has no spaces, so two views of a text are combined in one bag: character 1–3-grams
(robust to typos and words no dictionary knows) and words of two or more characters from
jieba-rs (``rjieba``: jieba's dictionary and algorithm compiled in Rust, ≈ 30× faster than
the Python package, nothing downloaded; single-character words are already unigrams). The
bag is weighted by sublinear tf-idf and fed to a linear SVM, the classic strong baseline for
short texts, wrapped in sigmoid (Platt) calibration fitted by internal cross-validation on
the training rows only, so that "0.8" means right about four times in five.

``TextFeatures`` is a small scikit-learn transformer rather than two ``TfidfVectorizer``s:
it normalises and segments each text once and does its counting with C-level ``map`` and
numpy, which makes it several times faster at intake (see bench/insight.py).
"""

from __future__ import annotations

import math
import operator
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from itertools import chain, repeat
from typing import Any

import numpy as np
import rjieba
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

ALGORITHM = "tfidf(char 1-3 + rjieba words)/linear-svm/sigmoid-calibrated"
WORD_MARK = "_"  # words live apart from character n-grams of the same spelling

_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Full-width to half-width (NFKC), lower case, one space for any run of white space."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip().lower()


def analyse(text: str, char_ngrams: tuple[int, int] = (1, 3)) -> Iterator[str]:
    """The features of one text: its character n-grams and its multi-character words."""
    t = normalise(text)
    low, high = char_ngrams
    grams: list[Iterable[str]] = []
    gram: Iterable[str] = t
    for n in range(1, high + 1):
        if n > 1:
            gram = map(operator.add, gram, t[n - 1 :])  # C-level loop: n-grams of the text
        gram = list(gram)
        if n >= low:
            grams.append(gram)
    grams.append(WORD_MARK + w for w in rjieba.cut(t, False) if len(w) > 1)
    return chain.from_iterable(grams)


class TextFeatures(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Sublinear tf-idf of ``analyse`` features, rows scaled to unit length."""

    def __init__(
        self, char_ngrams: tuple[int, int] = (1, 3), min_df: int = 2, max_features: int = 80_000
    ) -> None:
        self.char_ngrams = char_ngrams
        self.min_df = min_df
        self.max_features = max_features

    def fit(self, texts: Sequence[str], y: Any = None) -> TextFeatures:
        df: Counter[str] = Counter()
        for text in texts:
            df.update(set(analyse(text, self.char_ngrams)))
        kept = [(n, f) for f, n in df.items() if n >= self.min_df]
        kept.sort(key=lambda nf: (-nf[0], nf[1]))  # most frequent first; ties by name
        kept = kept[: self.max_features]
        self.vocabulary_ = {f: i for i, (_, f) in enumerate(kept)}
        n = len(texts)
        self.idf_ = np.array([math.log((1 + n) / (1 + d)) + 1 for d, _ in kept], dtype=np.float32)
        return self

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        lookup = self.vocabulary_.get
        lengths: list[int] = []
        ids: list[int] = []
        for text in texts:
            before = len(ids)
            features = analyse(text, self.char_ngrams)
            ids.extend(map(lookup, features, repeat(-1)))  # C-level lookups; -1: unknown
            lengths.append(len(ids) - before)
        found = np.asarray(ids, dtype=np.int64)
        rows = np.repeat(np.arange(len(lengths)), lengths)
        known = found >= 0
        counts = sparse.csr_matrix(
            (np.ones(int(known.sum()), dtype=np.float32), (rows[known], found[known])),
            shape=(len(lengths), len(self.vocabulary_)),
        )
        counts.sum_duplicates()
        np.log(counts.data, out=counts.data)
        counts.data += 1  # sublinear tf: 1 + log(count)
        counts.data *= self.idf_[counts.indices]
        return normalize(counts, copy=False)


@dataclass(frozen=True, slots=True)
class Params:
    """Tunable settings of the pipeline (stored with every model)."""

    char_ngrams: tuple[int, int] = (1, 3)
    min_df: int = 2
    max_features: int = 80_000
    c: float = 0.5
    calibration_folds: int = 3

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Params:
        data = dict(data)
        if "char_ngrams" in data:
            low, high = data["char_ngrams"]
            data["char_ngrams"] = (int(low), int(high))
        return cls(**data)


def build_pipeline(params: Params | None = None) -> Pipeline:
    """An unfitted pipeline (evaluation.fit sets the calibration folds to what the rows allow)."""
    params = params or Params()
    features = TextFeatures(params.char_ngrams, params.min_df, params.max_features)
    model = CalibratedClassifierCV(
        LinearSVC(C=params.c), method="sigmoid", cv=params.calibration_folds, ensemble=False
    )
    return Pipeline([("features", features), ("model", model)])
