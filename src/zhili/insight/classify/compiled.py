"""A fitted pipeline boiled down to arrays for fast suggestions at intake.

``CalibratedClassifierCV.predict_proba`` loops over the classes in Python, one sigmoid per
class with its own input checks, which costs milliseconds per call with 60-odd categories.
The same arithmetic — tf-idf features, one sparse × dense product with the SVM's weights,
every class's Platt sigmoid at once, then sklearn's normalisation — is done here in a few
numpy operations. The result equals the pipeline's (a test checks it); this is what is
stored and loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.special import expit

from zhili.insight.classify.features import TextFeatures


class CompiledClassifier:
    def __init__(self, pipeline: Any) -> None:
        calibrated = pipeline.named_steps["model"]
        if len(calibrated.calibrated_classifiers_) != 1:
            raise ValueError("compile a model fitted with ensemble=False")
        inner = calibrated.calibrated_classifiers_[0]
        svm = inner.estimator
        self.features: TextFeatures = pipeline.named_steps["features"]
        self.classes_ = np.asarray(calibrated.classes_, dtype=object)
        self.weights = np.ascontiguousarray(svm.coef_.T, dtype=np.float64)  # features × k
        self.intercept = np.asarray(svm.intercept_, dtype=np.float64)
        self.a = np.array([c.a_ for c in inner.calibrators], dtype=np.float64)
        self.b = np.array([c.b_ for c in inner.calibrators], dtype=np.float64)
        # fingerprints of the rows it learnt from (service.row_key): its successor is judged
        # only on rows this model has never seen
        self.seen: frozenset[bytes] = frozenset()
        if len(self.classes_) > 2 and list(svm.classes_) != list(self.classes_):
            raise ValueError("every class must have its own calibrator")

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        scores = self.features.transform(texts) @ self.weights + self.intercept
        proba = expit(-(self.a * scores + self.b))
        if len(self.classes_) == 2:
            proba = np.hstack([1.0 - proba, proba])
        else:
            total = proba.sum(axis=1, keepdims=True)
            uniform = np.full_like(proba, 1 / len(self.classes_))
            proba = np.divide(proba, total, out=uniform, where=total != 0)
        proba[(proba > 1.0) & (proba <= 1.0 + 1e-5)] = 1.0
        return np.asarray(proba)

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.classes_[self.predict_proba(texts).argmax(axis=1)])
