"""Honest figures for a labelled set: stratified k-fold cross-validation in which everything
— the vocabularies, the idf weights, the SVM and its probability calibration — is fitted
inside each fold on that fold's training rows only (a fresh clone of the template pipeline
per fold), then judged on rows it has never seen."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

from zhili.core.errors import ValidationFailed
from zhili.insight.classify.features import ALGORITHM, Params, build_pipeline

CALIBRATION_BINS = 10


def calibration_folds(params: Params, labels: Sequence[str]) -> int:
    """Calibration folds for fitting on ``labels``: no more than the rarest label has rows."""
    return max(2, min(params.calibration_folds, min(Counter(labels).values())))


def fit(template: Pipeline, params: Params, texts: Sequence[str], labels: Sequence[str]) -> Any:
    """A fresh, fitted clone of ``template``; the template itself is never fitted."""
    pipeline = clone(template)
    pipeline.set_params(model__cv=calibration_folds(params, labels))
    return pipeline.fit(list(texts), np.asarray(labels, dtype=object))


def top_k_hits(proba: np.ndarray, classes: np.ndarray, truth: np.ndarray, k: int) -> np.ndarray:
    k = min(k, proba.shape[1])
    best = np.argsort(-proba, axis=1)[:, :k]
    return np.asarray((classes[best] == truth[:, None]).any(axis=1))


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray) -> float:
    """Mean |confidence − accuracy| over equal-width confidence bins, weighted by rows."""
    bins = np.minimum((confidence * CALIBRATION_BINS).astype(int), CALIBRATION_BINS - 1)
    total = 0.0
    for b in range(CALIBRATION_BINS):
        mask = bins == b
        if mask.any():
            total += mask.sum() * abs(float(confidence[mask].mean()) - float(correct[mask].mean()))
    return float(total / len(confidence))


def cross_validate(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    folds: int = 5,
    seed: int = 0,
    params: Params | None = None,
    template: Pipeline | None = None,
) -> dict[str, Any]:
    """Stratified k-fold CV. Labels with fewer rows than folds cannot be put in every fold:
    they are left out and listed under ``dropped_labels``."""
    params = params or Params()
    template = template if template is not None else build_pipeline(params)
    if folds < 2:
        raise ValidationFailed("folds", "at least 2 folds", "折数至少为 2")
    counts = Counter(labels)
    keep = [i for i, label in enumerate(labels) if counts[label] >= folds]
    dropped = {label: n for label, n in sorted(counts.items()) if n < folds}
    x = np.asarray([texts[i] for i in keep], dtype=object)
    y = np.asarray([labels[i] for i in keep], dtype=object)
    if len(set(y)) < 2:
        raise ValidationFailed(
            "label_column",
            f"need at least two labels with {folds} or more rows each",
            f"至少需要两个类别、每类不少于 {folds} 条",
        )
    predicted = np.empty(len(y), dtype=object)
    confidence = np.zeros(len(y))
    top3 = np.zeros(len(y), dtype=bool)
    per_fold: list[dict[str, Any]] = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for k, (train, test) in enumerate(splitter.split(x, y)):
        pipeline = fit(template, params, list(x[train]), list(y[train]))
        proba = pipeline.predict_proba(list(x[test]))
        classes = pipeline.classes_
        predicted[test] = classes[proba.argmax(axis=1)]
        confidence[test] = proba.max(axis=1)
        top3[test] = top_k_hits(proba, classes, y[test], 3)
        per_fold.append(
            {
                "fold": k,
                "train": len(train),
                "test": len(test),
                "accuracy": round(float(accuracy_score(y[test], predicted[test])), 4),
                "macro_f1": round(
                    float(f1_score(y[test], predicted[test], average="macro", zero_division=0)), 4
                ),
            }
        )
    names = sorted(set(y))
    precision, recall, f1, support = precision_recall_fscore_support(
        y, predicted, labels=names, zero_division=0
    )
    return {
        "samples": len(y),
        "labels": len(names),
        "folds": folds,
        "seed": seed,
        "algorithm": ALGORITHM,
        "params": params.to_dict(),
        "accuracy": round(float(accuracy_score(y, predicted)), 4),
        "macro_f1": round(float(f1_score(y, predicted, average="macro", zero_division=0)), 4),
        "top3_accuracy": round(float(top3.mean()), 4),
        "calibration_error": round(expected_calibration_error(confidence, predicted == y), 4),
        "per_fold": per_fold,
        "per_class": {
            name: {
                "precision": round(float(p), 4),
                "recall": round(float(r), 4),
                "f1": round(float(f), 4),
                "support": int(s),
            }
            for name, p, r, f, s in zip(names, precision, recall, f1, support, strict=True)
        },
        "dropped_labels": dropped,
    }
