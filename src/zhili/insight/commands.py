"""``zhili insight …``: train and evaluate classifiers; (detect) scans and warnings."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from zhili.core.audit import new_request_id, request_id_var
from zhili.core.calendar import CHINA_TZ
from zhili.core.clock import utcnow
from zhili.core.config import Settings
from zhili.core.db import make_engine, make_session_factory, transaction
from zhili.core.errors import ZhiliError
from zhili.insight import scan as detect_service
from zhili.insight.classify import service as classify
from zhili.insight.classify.data import read_file
from zhili.insight.classify.evaluation import cross_validate
from zhili.insight.models import Target

app = typer.Typer(help="研判预警 insight and early warning", no_args_is_help=True)
console = Console()

DbOption = Annotated[
    str | None, typer.Option("--database-url", help="overrides ZHILI_DATABASE_URL")
]


def _settings(database_url: str | None) -> Settings:
    return Settings(database_url=database_url) if database_url else Settings()


def _fail(exc: ZhiliError) -> None:
    console.print(f"[red]错误：{exc.message_zh}[/red] ({exc.message})")
    raise typer.Exit(code=1)


# -- classify: train, evaluate, models, export of labelled demo cases ------------------------

DataOpt = Annotated[
    Path | None, typer.Option("--data", help="CSV (UTF-8 or GBK) or Excel of labelled texts")
]
TextCol = Annotated[str, typer.Option("--text-column", help="column with the text")]
LabelCol = Annotated[str, typer.Option("--label-column", help="column with the label")]
TargetOpt = Annotated[Target, typer.Option("--target", help="what the labels are")]


def _rows(
    data: Path | None, text_column: str, label_column: str, target: Target, url: str | None
) -> tuple[list[str], list[str], str]:
    if data is not None:
        found = read_file(data, text_column=text_column, label_column=label_column)
        return found.texts, found.labels, f"file:{data.name}"
    factory = make_session_factory(make_engine(_settings(url)))
    with factory() as session:
        texts, labels = classify.training_rows(session, target=target)
    return texts, labels, "cases"


@app.command("train")
def train_cmd(
    data: DataOpt = None,
    text_column: TextCol = "text",
    label_column: LabelCol = "label",
    target: TargetOpt = Target.category,
    seed: Annotated[int, typer.Option(help="held-out split")] = 0,
    database_url: DbOption = None,
) -> None:
    """Train a classifier from a labelled file (or, without --data, the city's closed cases);
    it replaces the active model only if it scores better on held-out rows. 训练分类模型。"""
    settings = _settings(database_url)
    request_id_var.set(new_request_id())
    try:
        texts, labels, source = _rows(data, text_column, label_column, target, database_url)
        with transaction(make_session_factory(make_engine(settings))) as session:
            result = classify.train(
                session,
                actor=None,
                settings=settings,
                target=target,
                texts=texts,
                labels=labels,
                source=source,
                seed=seed,
            )
            m = result.model
            verdict = "已启用" if result.promoted else "未超过现用模型，未启用"
            console.print(
                f"模型 {m.target} v{m.version}：{m.samples} 条、{len(m.labels)} 类，"
                f"留出集 macro-F1 {m.holdout_score:.3f}"
                + (f"（现用模型 {m.baseline_score:.3f}）" if m.baseline_score is not None else "")
                + f"，{verdict}"
            )
            if result.dropped_labels:
                console.print(f"样本过少未参与训练的类别：{result.dropped_labels}")
    except ZhiliError as exc:
        _fail(exc)


@app.command("evaluate")
def evaluate_cmd(
    data: DataOpt = None,
    text_column: TextCol = "text",
    label_column: LabelCol = "label",
    target: TargetOpt = Target.category,
    folds: Annotated[int, typer.Option(min=2, max=20)] = 5,
    seed: int = 0,
    out: Annotated[Path | None, typer.Option(help="also write the JSON here")] = None,
    database_url: DbOption = None,
) -> None:
    """Stratified k-fold cross-validation, everything fitted inside each fold; prints JSON
    with accuracy, macro_f1 and per-class figures. 交叉验证评估。"""
    try:
        texts, labels, source = _rows(data, text_column, label_column, target, database_url)
        result = {"source": source, **cross_validate(texts, labels, folds=folds, seed=seed)}
    except ZhiliError as exc:
        _fail(exc)
        return
    text = json.dumps(result, ensure_ascii=False, indent=1)
    if out is not None:
        out.write_text(text, encoding="utf-8")
    print(text)


@app.command("models")
def models_cmd(database_url: DbOption = None) -> None:
    """List trained models. 模型列表。"""
    factory = make_session_factory(make_engine(_settings(database_url)))
    with factory() as session:
        for m in classify.list_models(session):
            base = "-" if m.baseline_score is None else f"{m.baseline_score:.3f}"
            console.print(
                f"{m.id}\t{m.target}\tv{m.version}\t{m.status}\t{m.samples} 条\t"
                f"F1 {m.holdout_score:.3f}（对照 {base}）\t{m.created_at:%Y-%m-%d %H:%M}"
            )


@app.command("export-labelled")
def export_labelled(
    out: Annotated[Path, typer.Option("--out", help="CSV to write (UTF-8)")],
    target: TargetOpt = Target.category,
    database_url: DbOption = None,
) -> None:
    """Write the closed cases (e.g. the demo's) as a labelled CSV with columns text,label,
    for `zhili insight evaluate`. 导出已标注文本。"""
    factory = make_session_factory(make_engine(_settings(database_url)))
    with factory() as session:
        texts, labels = classify.training_rows(session, target=target)
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        writer.writerows(zip(texts, labels, strict=True))
    console.print(f"已导出 {len(texts)} 条到 {out}")


# -- detect: scans, warnings, monthly issue ---------------------------------------------------


@app.command("scan")
def scan_command(
    days: Annotated[int, typer.Option("--days", min=1, help="scan the last N days")] = 28,
    end: Annotated[
        str | None, typer.Option("--end", help="scan up to this date (YYYY-MM-DD, 本地日期)")
    ] = None,
    database_url: DbOption = None,
) -> None:
    """Find hotspots, surges, rises and risks in the recent cases and store them as
    warnings. 扫描近期案件，生成预警。"""
    try:
        day = date.fromisoformat(end) if end else None
    except ValueError:
        console.print(f"[red]--end 应为 YYYY-MM-DD 格式的日期：{end}[/red]")
        raise typer.Exit(code=2) from None
    until = datetime.combine(day, time(), tzinfo=CHINA_TZ) + timedelta(days=1) if day else utcnow()
    since = until - timedelta(days=days)
    request_id_var.set(new_request_id())
    factory = make_session_factory(make_engine(_settings(database_url)))
    with transaction(factory) as session:
        found = detect_service.run(session, actor=None, start=since, end=until)
    console.print(json.dumps(found, ensure_ascii=False))
