"""Train, promote, suggest, and learn from the dispatcher's choices.

Training splits the labelled rows into a training part and a held-out part (stratified,
seeded). The candidate is fitted on the training part and scored (macro-F1) on the held-out
part, and so is the active model; the candidate becomes active only if it scores strictly
better — then it is refitted on all rows and saved. Otherwise its row is kept, as
``rejected``, with both scores, and no file. Nothing here commits: the CLI or route does.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhili.cases.categories.models import Category
from zhili.cases.models import Case, CaseEvent, CaseState
from zhili.core import audit
from zhili.core.config import Settings
from zhili.core.errors import NotFound, ValidationFailed
from zhili.insight.classify import store
from zhili.insight.classify.compiled import CompiledClassifier
from zhili.insight.classify.evaluation import fit
from zhili.insight.classify.features import ALGORITHM, Params, build_pipeline
from zhili.insight.models import InsightFeedback, InsightModel, ModelStatus, Target
from zhili.org.models import Department, Region
from zhili.org.users.models import User

MIN_PER_LABEL = 3  # fewer rows than this teach a label nothing a held-out part can check
MIN_ROWS = 20
HOLDOUT = 0.2
TEXT_CHARS = 2000  # what of a long description is worth reading


@dataclass
class TrainResult:
    model: InsightModel
    promoted: bool
    dropped_labels: dict[str, int]


def case_text(title: str, description: str) -> str:
    """The text a case is classified by (the same at training and at intake)."""
    return f"{title.strip()}。{description.strip()}"[:TEXT_CHARS]


def active_model(session: Session, target: Target) -> InsightModel | None:
    return session.scalar(
        select(InsightModel).where(
            InsightModel.target == target.value, InsightModel.status == ModelStatus.active.value
        )
    )


def list_models(session: Session, *, target: Target | None = None) -> Sequence[InsightModel]:
    query = select(InsightModel).order_by(InsightModel.target, InsightModel.version.desc())
    if target is not None:
        query = query.where(InsightModel.target == target.value)
    return session.scalars(query).all()


def _score(pipeline: Any, texts: list[str], truth: np.ndarray) -> tuple[float, float]:
    """(macro-F1, accuracy) of ``pipeline`` on labelled rows."""
    predicted = pipeline.predict(texts)
    return (
        float(f1_score(truth, predicted, average="macro", zero_division=0)),
        float(accuracy_score(truth, predicted)),
    )


def train(
    session: Session,
    *,
    actor: User | None,
    settings: Settings,
    target: Target,
    texts: Sequence[str],
    labels: Sequence[str],
    source: str,
    params: Params | None = None,
    seed: int = 0,
) -> TrainResult:
    """Fit a candidate model, compare it with the active one on held-out rows, store it."""
    params = params or Params()
    if len(texts) != len(labels):
        raise ValidationFailed("labels", "one label per text", "文本与标签数量不一致")
    counts = Counter(labels)
    dropped = {label: n for label, n in sorted(counts.items()) if n < MIN_PER_LABEL}
    keep = [i for i, label in enumerate(labels) if label not in dropped]
    x = [texts[i] for i in keep]
    y = np.asarray([labels[i] for i in keep], dtype=object)
    if len(x) < MIN_ROWS or len(set(y)) < 2:
        raise ValidationFailed(
            "data",
            f"need at least {MIN_ROWS} rows and two labels with {MIN_PER_LABEL}+ rows each",
            f"训练数据不足：至少 {MIN_ROWS} 条、两个类别且每类不少于 {MIN_PER_LABEL} 条",
        )
    current = active_model(session, target)
    incumbent = (
        store.load(settings.media_root, current.storage_key, current.sha256)
        if current is not None
        else None
    )
    keys = [row_key(t, label) for t, label in zip(x, y, strict=True)]
    seen: frozenset[bytes] = getattr(incumbent, "seen", frozenset())
    unseen = [i for i, k in enumerate(keys) if k not in seen]
    test_idx = _holdout(y, unseen if incumbent is not None else list(range(len(x))), seed)
    judged_on = "unseen rows"
    if incumbent is not None and test_idx is None:
        # Every row was in the active model's training: its own fit would be judged on rows
        # it memorised. Compare recipes instead, both fitted on the same training part.
        test_idx = _holdout(y, list(range(len(x))), seed)
        judged_on = "same split, active model's settings refitted"
    if test_idx is None:
        raise ValidationFailed("data", "too few rows to hold some out", "数据太少，无法留出验证集")
    in_test = set(test_idx)
    x_train = [x[i] for i in range(len(x)) if i not in in_test]
    y_train = [y[i] for i in range(len(x)) if i not in in_test]
    x_test, y_test = [x[i] for i in test_idx], y[test_idx]
    template = build_pipeline(params)
    candidate = CompiledClassifier(fit(template, params, x_train, y_train))
    score, accuracy = _score(candidate, x_test, y_test)
    baseline: float | None = None
    if current is not None and incumbent is not None:
        judge = incumbent
        if judged_on != "unseen rows":
            old = Params.from_dict(current.params)
            judge = CompiledClassifier(fit(build_pipeline(old), old, x_train, y_train))
        baseline, _ = _score(judge, x_test, y_test)
    promoted = baseline is None or score > baseline
    version = (
        session.scalar(
            select(func.max(InsightModel.version)).where(InsightModel.target == target.value)
        )
        or 0
    ) + 1
    key = digest = ""
    size = 0
    if promoted:
        # all rows, now that it has earned its place
        final = CompiledClassifier(fit(template, params, x, list(y)))
        final.seen = frozenset(keys)
        key, digest, size = store.save(settings.media_root, f"{target.value}-v{version}", final)
    model = InsightModel(
        target=target.value,
        version=version,
        status=(ModelStatus.active if promoted else ModelStatus.rejected).value,
        algorithm=ALGORITHM,
        params=params.to_dict(),
        labels=sorted(set(y)),
        samples=len(x),
        source=source[:255],
        holdout_score=round(score, 4),
        baseline_score=None if baseline is None else round(baseline, 4),
        metrics={
            "holdout_rows": len(x_test),
            "judged_on": judged_on,
            "holdout_accuracy": round(accuracy, 4),
            "holdout_macro_f1": round(score, 4),
            "seed": seed,
            "dropped_labels": dropped,
        },
        storage_key=key,
        sha256=digest,
        size=size,
        trained_by_id=actor.id if actor is not None else None,
    )
    if promoted and current is not None:
        current.status = ModelStatus.retired.value
        session.flush()  # at most one active model per target, even mid-transaction
    session.add(model)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="insight.model.promote" if promoted else "insight.model.reject",
        entity_type="insight_model",
        entity_id=model.id,
        after={
            "target": target.value,
            "version": version,
            "holdout_score": model.holdout_score,
            "baseline_score": model.baseline_score,
            "replaced": current.id if promoted and current is not None else None,
        },
    )
    return TrainResult(model, promoted, dropped)


def row_key(text: str, label: str) -> bytes:
    """A short fingerprint of a labelled row: which rows a model has learnt from."""
    return hashlib.blake2b(f"{text}\x1f{label}".encode(), digest_size=8).digest()


def _holdout(y: np.ndarray, pool: list[int], seed: int) -> list[int] | None:
    """A held-out part drawn from ``pool`` (stratified where every label allows it), or None
    when the pool is too small to judge on."""
    size = max(int(len(y) * HOLDOUT), 10)
    if len(pool) < size or len(pool) - size < 0:
        return None
    if len(pool) == len(y):
        size = max(size, len(set(y)))
    labels = y[pool]
    counts = Counter(labels)
    stratify = labels if min(counts.values()) >= 2 and size >= len(counts) else None
    if size >= len(pool):
        return sorted(pool)
    _, test = train_test_split(pool, test_size=size, stratify=stratify, random_state=seed)
    # the training part must still hold every label at least twice (calibration folds)
    rest = Counter(y) - Counter(y[test])
    if min(rest.get(label, 0) for label in set(y)) < 2:
        return None
    return sorted(test)


# -- suggestions at intake ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Suggestion:
    label: str
    name: str | None
    probability: float


def _names(session: Session, target: Target, labels: list[str]) -> dict[str, str]:
    if target == Target.category:
        rows = session.execute(
            select(Category.code, Category.name).where(Category.code.in_(labels))
        ).all()
        return {code: name for code, name in rows}
    depts = [label.removeprefix("dept:") for label in labels if label.startswith("dept:")]
    regions = [label.removeprefix("region:") for label in labels if label.startswith("region:")]
    out: dict[str, str] = {}
    for code, name in session.execute(
        select(Department.code, Department.name).where(Department.code.in_(depts))
    ):
        out[f"dept:{code}"] = name
    for code, name in session.execute(
        select(Region.code, Region.name).where(Region.code.in_(regions))
    ):
        out[f"region:{code}"] = name
    return out


def suggest(
    session: Session, *, settings: Settings, target: Target, text: str, top: int = 3
) -> tuple[InsightModel | None, list[Suggestion]]:
    """The active model's ``top`` labels for ``text`` with calibrated probabilities (none
    while no model has been trained)."""
    if not text.strip():
        raise ValidationFailed("text", "text is empty", "文本不能为空")
    model = active_model(session, target)
    if model is None:
        return None, []
    pipeline = store.load(settings.media_root, model.storage_key, model.sha256)
    proba = pipeline.predict_proba([text[:TEXT_CHARS]])[0]
    order = np.argsort(-proba)[: max(1, top)]
    labels = [str(pipeline.classes_[i]) for i in order]
    names = _names(session, target, labels)
    return model, [
        Suggestion(label, names.get(label), round(float(proba[i]), 4))
        for label, i in zip(labels, order, strict=True)
    ]


# -- feedback: the dispatcher's choice ------------------------------------------------------


def unit_label(*, department_code: str | None, region_code: str | None) -> str | None:
    if department_code:
        return f"dept:{department_code}"
    if region_code:
        return f"region:{region_code}"
    return None


def record_feedback(
    session: Session,
    *,
    actor: User | None,
    target: Target,
    label: str,
    text: str | None = None,
    case_id: int | None = None,
    suggested: list[dict[str, Any]] | None = None,
    model_id: int | None = None,
) -> InsightFeedback:
    """Keep what the dispatcher chose for a text (or a case's own text): training data."""
    label = label.strip()
    if not label:
        raise ValidationFailed("label", "label is empty", "标签不能为空")
    if case_id is not None:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound("case", case_id)
        text = text or case_text(case.title, case.description)
    if not text or not text.strip():
        raise ValidationFailed("text", "give a text or a case", "请提供文本或案件")
    if model_id is not None and session.get(InsightModel, model_id) is None:
        raise ValidationFailed("model_id", "unknown model", "模型不存在")
    accepted = bool(suggested) and str((suggested or [{}])[0].get("label")) == label
    row = InsightFeedback(
        target=target.value,
        case_id=case_id,
        text=text[:TEXT_CHARS],
        label=label[:64],
        suggested=suggested,
        model_id=model_id,
        accepted=accepted if suggested else None,
        actor_id=actor.id if actor is not None else None,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="insight.feedback",
        entity_type="insight_feedback",
        entity_id=row.id,
        after={"target": target.value, "case_id": case_id, "label": row.label},
    )
    return row


# -- the city's own labelled texts ----------------------------------------------------------


def training_rows(session: Session, *, target: Target) -> tuple[list[str], list[str]]:
    """Closed cases with their final category, or the unit they were first dispatched to,
    plus every recorded dispatcher choice (which overrides the case's own label)."""
    by_case: dict[int, tuple[str, str]] = {}
    if target == Target.category:
        labelled = session.execute(
            select(Case.id, Case.title, Case.description, Category.code)
            .join(Category, Category.id == Case.category_id)
            .where(Case.state == CaseState.closed.value)
        ).all()
        for case_id, title, description, code in labelled:
            by_case[case_id] = (case_text(title, description), code)
    else:
        first = (
            select(CaseEvent.case_id, func.min(CaseEvent.seq).label("seq"))
            .where(CaseEvent.action == "dispatch")
            .group_by(CaseEvent.case_id)
            .subquery()
        )
        dispatched = session.execute(
            select(Case.id, Case.title, Case.description, Department.code, Region.code)
            .join(first, first.c.case_id == Case.id)
            .join(
                CaseEvent,
                (CaseEvent.case_id == first.c.case_id) & (CaseEvent.seq == first.c.seq),
            )
            .outerjoin(Department, Department.id == CaseEvent.unit_department_id)
            .outerjoin(Region, Region.id == CaseEvent.unit_region_id)
            .where(Case.state == CaseState.closed.value)
        ).all()
        for case_id, title, description, dept, region in dispatched:
            label = unit_label(department_code=dept, region_code=region)
            if label is not None:
                by_case[case_id] = (case_text(title, description), label)
    extra = session.execute(
        select(InsightFeedback.case_id, InsightFeedback.text, InsightFeedback.label)
        .where(InsightFeedback.target == target.value)
        .order_by(InsightFeedback.id)
    ).all()
    free: list[tuple[str, str]] = []
    for about, text, label in extra:
        if about is None:
            free.append((text, label))
        else:
            by_case[about] = (text, label)  # the latest choice about a case wins
    rows_out = [*by_case.values(), *free]
    return [t for t, _ in rows_out], [label for _, label in rows_out]
