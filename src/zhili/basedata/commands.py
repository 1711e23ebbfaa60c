"""`zhili import` and `zhili export`: base-data files from the command line.

Both run as the system (the audit rows say ``system``), like the other console commands;
``cli.py`` registers them. One file is one transaction: a rejected file changes nothing.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy import select

from zhili.basedata.imports.export import export
from zhili.basedata.imports.service import render_report, run_import
from zhili.basedata.vault import vault_for
from zhili.core.audit import new_request_id, request_id_var
from zhili.core.config import Settings
from zhili.core.db import make_engine, make_session_factory, transaction
from zhili.core.errors import ZhiliError
from zhili.org.models import Region

console = Console()
SHOWN = 20


class ImportKind(StrEnum):
    persons = "persons"
    addresses = "addresses"
    units = "units"
    dwellings = "dwellings"


DbOption = Annotated[
    str | None, typer.Option("--database-url", help="overrides ZHILI_DATABASE_URL")
]


def _settings(database_url: str | None) -> Settings:
    return Settings(database_url=database_url) if database_url else Settings()


def import_file(
    kind: Annotated[ImportKind, typer.Argument(help="persons | addresses | units | dwellings")],
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV (UTF-8/GBK) or .xlsx")
    ],
    good_rows_only: Annotated[
        bool, typer.Option("--good-rows-only", help="import the good rows, report the rest")
    ] = False,
    report: Annotated[Path | None, typer.Option(help="where to write the per-row report")] = None,
    database_url: DbOption = None,
) -> None:
    """Import base data; every row is checked first. 导入一标三实数据。"""
    settings = _settings(database_url)
    factory = make_session_factory(make_engine(settings))
    request_id_var.set(new_request_id())
    data = file.read_bytes()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def advance(stage: str, done: int, total: int) -> None:
            label = {"validate": "校验 validate", "write": "写入 write"}.get(stage, stage)
            if stage not in tasks:
                tasks[stage] = progress.add_task(label, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        try:
            with transaction(factory) as session:
                job = run_import(
                    session,
                    actor=None,
                    vault=vault_for(settings),
                    kind=kind.value,
                    data=data,
                    filename=file.name,
                    good_rows_only=good_rows_only,
                    progress=advance,
                )
        except ZhiliError as exc:
            console.print(f"[red]错误：{exc.message_zh}[/red] ({exc.message})")
            raise typer.Exit(code=1) from exc
    status_zh = {
        "applied": "已导入",
        "partial": "已导入正确的行",
        "rejected": "未导入（文件有错误）",
    }
    console.print(
        f"{status_zh[job.status]} ({job.status}): {job.rows} 行，新增 {job.inserted}，"
        f"更新 {job.updated}，未变 {job.unchanged}，错误 {job.error_count}（编码 {job.encoding}）"
    )
    if job.error_count:
        table = Table("行 row", "字段 field", "原因 reason")
        for e in job.errors[:SHOWN]:
            table.add_row(str(e["row"]), e["field"], e["reason_zh"])
        console.print(table)
        target = report or file.with_name(file.stem + ".report.csv")
        target.write_bytes(render_report(job, "xlsx" if target.suffix == ".xlsx" else "csv"))
        console.print(f"完整报告 full report: {target}")
    if job.status == "rejected":
        raise typer.Exit(code=1)


def export_file(
    kind: Annotated[ImportKind, typer.Argument(help="persons | addresses | units | dwellings")],
    file: Annotated[Path, typer.Argument(dir_okay=False, help="output: .csv or .xlsx")],
    region_code: Annotated[str | None, typer.Option(help="only this area")] = None,
    unmask: Annotated[bool, typer.Option("--unmask", help="full ID numbers and phones")] = False,
    reason: Annotated[str | None, typer.Option(help="required with --unmask; logged")] = None,
    database_url: DbOption = None,
) -> None:
    """Export base data in the import's columns, masked unless --unmask. 导出一标三实数据。"""
    settings = _settings(database_url)
    factory = make_session_factory(make_engine(settings))
    request_id_var.set(new_request_id())
    fmt = "xlsx" if file.suffix.lower() == ".xlsx" else "csv"
    try:
        with transaction(factory) as session:
            region_id = None
            if region_code is not None:
                region_id = session.scalar(select(Region.id).where(Region.code == region_code))
                if region_id is None:
                    console.print(f"[red]未找到区划 {region_code}[/red]")
                    raise typer.Exit(code=1)
            data, count = export(
                session,
                actor=None,
                vault=vault_for(settings),
                kind=kind.value,
                fmt=fmt,
                region_id=region_id,
                unmask=unmask,
                reason=reason,
            )
    except ZhiliError as exc:
        console.print(f"[red]错误：{exc.message_zh}[/red] ({exc.message})")
        raise typer.Exit(code=1) from exc
    file.write_bytes(data)
    console.print(f"已导出 {count} 条{'（未脱敏）' if unmask else '（已脱敏）'} → {file}")
