"""The classifier: honest cross-validation, versioned models kept only when better,
suggestions with calibrated confidence, and the dispatcher's choices as training data."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from openpyxl import Workbook
from sklearn.pipeline import Pipeline
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from factories.texts import CODES, labelled
from zhili.cases.categories.service import load_catalogue
from zhili.cli import app as cli
from zhili.core.config import Settings
from zhili.core.errors import Conflict, ValidationFailed
from zhili.insight.classify import service, store
from zhili.insight.classify.compiled import CompiledClassifier
from zhili.insight.classify.data import read_file
from zhili.insight.classify.evaluation import cross_validate, fit
from zhili.insight.classify.features import Params, TextFeatures, build_pipeline
from zhili.insight.models import InsightFeedback, InsightModel, ModelStatus, Target


@pytest.fixture
def media(settings: Settings, tmp_path: Path) -> Settings:
    store.forget()
    return settings.model_copy(update={"media_root": str(tmp_path / "media")})


def test_cross_validation_reports_accuracy_macro_f1_and_per_class_figures() -> None:
    texts, labels = labelled(240, seed=1)
    result = cross_validate(texts, labels, folds=5, seed=0)
    assert result["samples"] == 240 and result["labels"] == len(CODES) and result["folds"] == 5
    assert 0.7 < result["accuracy"] <= 1 and 0.7 < result["macro_f1"] <= 1
    assert set(result["per_class"]) == set(CODES)
    assert sum(c["support"] for c in result["per_class"].values()) == 240
    assert all({"precision", "recall", "f1"} <= set(c) for c in result["per_class"].values())
    assert [f["test"] for f in result["per_fold"]] == [48] * 5
    assert result["top3_accuracy"] >= result["accuracy"]
    # same seed, same folds, same figures
    assert cross_validate(texts, labels, folds=5, seed=0)["macro_f1"] == result["macro_f1"]


class SpyFeatures(TextFeatures):
    """Records the rows each clone is fitted on (clones share this class-level list)."""

    fitted_on: ClassVar[list[list[str]]] = []

    def fit(self, texts: Sequence[str], y: object = None) -> SpyFeatures:
        SpyFeatures.fitted_on.append(list(texts))
        super().fit(texts, y)
        return self


def test_everything_is_fitted_inside_each_fold_on_its_training_rows_only() -> None:
    texts, labels = labelled(120, seed=8)
    texts = [f"{i}:{t}" for i, t in enumerate(texts)]  # every row distinguishable
    SpyFeatures.fitted_on = []
    template = Pipeline(
        [("features", SpyFeatures()), ("model", build_pipeline().named_steps["model"])]
    )
    cross_validate(texts, labels, folds=4, seed=0, template=template)
    assert not hasattr(template.named_steps["features"], "vocabulary_")  # only clones fitted
    assert not hasattr(template.named_steps["model"], "calibrated_classifiers_")
    fits = SpyFeatures.fitted_on
    assert len(fits) == 4 and all(len(rows) == 90 for rows in fits)
    held_out = [set(texts) - set(rows) for rows in fits]
    assert all(len(rows) == 30 for rows in held_out)
    assert set().union(*held_out) == set(texts)  # every row was tested once, by a model ...
    assert sum(len(rows) for rows in held_out) == len(texts)  # ... that never saw it


def test_random_labels_score_at_chance() -> None:
    # A label-noise file: unique codes and random labels. Fitted honestly inside each fold,
    # the model cannot know the test rows' codes and can only guess (chance = 1/3).
    rng = random.Random(7)
    texts = [
        f"编号{rng.getrandbits(48):012x} {''.join(rng.sample('路灯垃圾噪音工地', 4))}"
        for _ in range(180)
    ]
    labels = [rng.choice("ABC") for _ in texts]
    params = Params(min_df=1)
    honest = cross_validate(texts, labels, folds=5, seed=0, params=params)
    assert honest["accuracy"] < 0.5 and honest["macro_f1"] < 0.5


@pytest.mark.parametrize("codes", [CODES, ("C0201", "E0101")])
def test_the_compiled_model_gives_the_pipelines_probabilities(codes: tuple[str, ...]) -> None:
    texts, labels = labelled(150, seed=10, codes=codes)
    params = Params()
    pipeline = fit(build_pipeline(params), params, texts, labels)
    compiled = CompiledClassifier(pipeline)
    new, _ = labelled(60, seed=11)
    assert list(compiled.classes_) == list(pipeline.classes_)
    assert np.allclose(compiled.predict_proba(new), pipeline.predict_proba(new), atol=1e-9)
    assert list(compiled.predict(new)) == list(pipeline.predict(new))


def test_rare_labels_are_left_out_of_cross_validation_and_listed() -> None:
    texts, labels = labelled(60, seed=2, codes=("C0201", "E0101"))
    texts += ["工资被拖欠了", "老板不给工资"]
    labels += ["H0201", "H0201"]
    result = cross_validate(texts, labels, folds=3, seed=0)
    assert result["dropped_labels"] == {"H0201": 2} and "H0201" not in result["per_class"]


def test_files_in_gbk_utf8_and_excel_read_the_same(tmp_path: Path) -> None:
    rows = [("小区路灯不亮了", "C0201"), ("楼下垃圾没人清运", "E0101"), ("", "E0101")]
    body = "内容,类别\n" + "\n".join(f"{t},{lab}" for t, lab in rows) + "\n"
    (tmp_path / "a.csv").write_bytes(body.encode("gbk"))
    (tmp_path / "b.csv").write_bytes(body.encode("utf-8-sig"))
    book = Workbook()
    sheet = book.active
    sheet.append(["内容", "类别"])
    for row in rows:
        sheet.append(list(row))
    book.save(tmp_path / "c.xlsx")
    read = [
        read_file(tmp_path / name, text_column="内容", label_column="类别")
        for name in ("a.csv", "b.csv", "c.xlsx")
    ]
    assert [r.encoding for r in read] == ["gb18030", "utf-8-sig", "xlsx"]
    assert all(r.texts == ["小区路灯不亮了", "楼下垃圾没人清运"] and r.skipped == 1 for r in read)
    with pytest.raises(ValidationFailed) as err:
        read_file(tmp_path / "a.csv", text_column="text", label_column="类别")
    assert err.value.field == "text_column"


def test_evaluate_cli_prints_json_from_a_gbk_file(tmp_path: Path) -> None:
    texts, labels = labelled(150, seed=3)
    rows = zip(texts, labels, strict=True)
    lines = ["诉求内容,分类"] + [f"{t.replace(',', '，')},{lab}" for t, lab in rows]
    path = tmp_path / "cases.csv"
    path.write_bytes("\n".join(lines).encode("gbk"))
    r = CliRunner().invoke(
        cli,
        ["insight", "evaluate", "--data", str(path), "--text-column", "诉求内容",
         "--label-column", "分类", "--folds", "5", "--seed", "0"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    result = json.loads(r.stdout)
    assert {"accuracy", "macro_f1", "per_class", "per_fold", "samples"} <= set(result)
    assert result["samples"] == 150 and result["folds"] == 5 and result["seed"] == 0
    assert result["source"] == "file:cases.csv"


def _noisy(texts: list[str], labels: list[str], share: float, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice(CODES) if rng.random() < share else lab for lab in labels]


def test_a_new_model_replaces_the_active_one_only_if_it_scores_better(
    session: Session, media: Settings
) -> None:
    texts, labels = labelled(180, seed=4)
    weak = service.train(
        session, actor=None, settings=media, target=Target.category,
        texts=texts, labels=_noisy(texts, labels, 0.7, seed=1), source="noisy",
    )  # fmt: skip
    assert weak.promoted and weak.model.version == 1 and weak.model.baseline_score is None
    good = service.train(
        session, actor=None, settings=media, target=Target.category,
        texts=texts, labels=labels, source="clean",
    )  # fmt: skip
    assert good.promoted and good.model.version == 2
    assert good.model.holdout_score > (good.model.baseline_score or 0)
    assert weak.model.status == ModelStatus.retired
    # v1 learnt these texts with other labels: v2 is judged on rows v1 never saw as such
    assert good.model.metrics["judged_on"] == "unseen rows"
    # nothing new: the active model saw every row, so recipes are compared on one split,
    # and the same recipe is no improvement
    again = service.train(
        session, actor=None, settings=media, target=Target.category,
        texts=texts, labels=labels, source="clean again",
    )  # fmt: skip
    assert not again.promoted and again.model.holdout_score == again.model.baseline_score
    assert again.model.metrics["judged_on"].startswith("same split")
    # the same rows, but a crippled pipeline (three features): it must not replace v2
    junk = service.train(
        session, actor=None, settings=media, target=Target.category,
        texts=texts, labels=labels, source="crippled", params=Params(max_features=3),
    )  # fmt: skip
    assert not junk.promoted and junk.model.status == ModelStatus.rejected
    assert junk.model.holdout_score < (junk.model.baseline_score or 0)
    assert junk.model.storage_key == ""  # a rejected model keeps its scores, not a file
    active = service.active_model(session, Target.category)
    assert active is not None and active.id == good.model.id
    statuses = session.scalars(
        select(InsightModel.status).where(InsightModel.target == "category")
    ).all()
    assert sorted(statuses) == ["active", "rejected", "rejected", "retired"]


def test_suggestions_come_from_the_active_model_with_names_and_confidence(
    session: Session, media: Settings
) -> None:
    load_catalogue(session, actor=None)
    assert service.suggest(session, settings=media, target=Target.category, text="路灯不亮") == (
        None,
        [],
    )
    texts, labels = labelled(180, seed=5)
    service.train(
        session, actor=None, settings=media, target=Target.category,
        texts=texts, labels=labels, source="test",
    )  # fmt: skip
    model, found = service.suggest(
        session, settings=media, target=Target.category,
        text="市民来电反映：小区门口的路灯坏了好几天，晚上黑漆漆的不安全", top=3,
    )  # fmt: skip
    assert model is not None and len(found) == 3
    assert found[0].label == "C0201" and found[0].name == "路灯"
    assert found[0].probability > 0.5 >= found[1].probability
    assert found[0].probability >= found[1].probability >= found[2].probability
    assert sum(s.probability for s in found) <= 1.0001


def test_a_swapped_model_file_is_refused(session: Session, media: Settings) -> None:
    texts, labels = labelled(120, seed=6)
    result = service.train(
        session, actor=None, settings=media, target=Target.unit,
        texts=texts, labels=labels, source="test",
    )  # fmt: skip
    store.forget()
    path = Path(media.media_root) / result.model.storage_key
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(Conflict):
        service.suggest(session, settings=media, target=Target.unit, text="路灯不亮")


def test_the_dispatchers_choice_becomes_training_data(session: Session) -> None:
    texts, _ = service.training_rows(session, target=Target.category)
    row = service.record_feedback(
        session,
        actor=None,
        target=Target.category,
        label="E0601",
        text="楼下酒吧每天半夜音乐声震天响",
        suggested=[{"label": "E0301", "probability": 0.6}, {"label": "E0601", "probability": 0.3}],
    )
    assert row.accepted is False
    after_texts, after_labels = service.training_rows(session, target=Target.category)
    assert len(after_texts) == len(texts) + 1
    assert after_labels[-1] == "E0601" and after_texts[-1] == "楼下酒吧每天半夜音乐声震天响"
    assert session.get(InsightFeedback, row.id) is not None
    with pytest.raises(ValidationFailed):
        service.record_feedback(session, actor=None, target=Target.category, label="E0601")
