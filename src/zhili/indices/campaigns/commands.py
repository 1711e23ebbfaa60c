"""``zhili index campaign …``: import a criteria catalogue, list campaigns, print scores, write
reports. Console commands run as the system (the audit rows say ``system``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from zhili.core.audit import new_request_id, request_id_var
from zhili.core.config import Settings
from zhili.core.db import make_engine, make_session_factory, transaction
from zhili.core.errors import ZhiliError
from zhili.indices.campaigns import reports, service, workbook
from zhili.indices.campaigns.criteria import ImportRejected
from zhili.indices.campaigns.models import EvalCampaign
from zhili.indices.campaigns.scoring import score_campaign
from zhili.org import service as org_service

app = typer.Typer(help="测评 evaluation campaigns", no_args_is_help=True)
console = Console()
DbOption = Annotated[
    str | None, typer.Option("--database-url", help="overrides ZHILI_DATABASE_URL")
]


def _factory(database_url: str | None) -> sessionmaker[Session]:
    settings = Settings(database_url=database_url) if database_url else Settings()
    return make_session_factory(make_engine(settings))


def _fail(exc: ZhiliError) -> None:
    if isinstance(exc, ImportRejected):
        table = Table(title=f"测评体系未导入：{len(exc.problems)} 处错误")
        for col in ("行", "列", "问题"):
            table.add_column(col)
        for p in exc.problems:
            table.add_row(str(p.row), p.column, p.message_zh)
        console.print(table)
    else:
        console.print(f"[red]错误：{exc.message_zh}[/red] ({exc.message})")
    raise typer.Exit(code=1)


@app.command("import-criteria")
def import_criteria(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".xlsx catalogue")],
    name: Annotated[str, typer.Option(help="catalogue name, e.g. 2026年市域社会治理测评体系")],
    database_url: DbOption = None,
) -> None:
    """Import a criteria catalogue (all rows or none). 导入测评体系。"""
    request_id_var.set(new_request_id())
    try:
        with transaction(_factory(database_url)) as session:
            cat = service.import_catalogue(
                session, actor=None, name=name, filename=file.name, data=file.read_bytes()
            )
            cat_id = cat.id
    except ZhiliError as exc:
        _fail(exc)
        return
    console.print(f"测评体系「{name}」已导入（编号 {cat_id}）")


@app.command("list")
def list_campaigns(database_url: DbOption = None) -> None:
    """List campaigns. 列出测评。"""
    with _factory(database_url)() as session:
        for c in session.scalars(select(EvalCampaign).order_by(EvalCampaign.id)):
            follow = f"（回头看：{c.follow_up_of_id}）" if c.follow_up_of_id else ""
            console.print(f"{c.id}\t{c.name}{follow}\t{reports.STATE_ZH[c.state]}")


@app.command("scores")
def scores(campaign_id: int, database_url: DbOption = None) -> None:
    """Totals and ranks of a campaign. 测评得分与排名。"""
    with _factory(database_url)() as session:
        try:
            campaign = service.get_campaign(session, campaign_id)
        except ZhiliError as exc:
            _fail(exc)
            return
        table = Table(title=campaign.name)
        for col in ("名次", "单位代码", "单位名称", "得分", "应得分", "得分率(%)"):
            table.add_column(col)
        for u in sorted(score_campaign(session, campaign), key=lambda u: (u.rank or 10**9, u.code)):
            table.add_row(
                str(u.rank or "—"), u.code, u.name, f"{u.total:g}", f"{u.full:g}", str(u.rate)
            )
        console.print(table)


@app.command("report")
def report(
    campaign_id: int,
    out: Annotated[Path, typer.Option("--out", "-o", help=".html or .xlsx")],
    unit: Annotated[str | None, typer.Option(help="unit code: that unit's report")] = None,
    database_url: DbOption = None,
) -> None:
    """Write the overall report, or one unit's (--unit). 生成测评报告。"""
    suffix = out.suffix.lower()
    if suffix not in (".html", ".xlsx"):
        console.print("[red]--out 须为 .html 或 .xlsx 文件[/red]")
        raise typer.Exit(code=2)
    with _factory(database_url)() as session:
        try:
            campaign = service.get_campaign(session, campaign_id)
            if unit is None:
                r = reports.build(session, campaign, region_ids=None)
                data = (
                    reports.overall_html(r).encode()
                    if suffix == ".html"
                    else workbook.overall_workbook(r)
                )
            else:
                region = service.unit_region(
                    session, campaign, org_service.get_region_by_code(session, unit).id
                )
                r = reports.build(session, campaign, region_ids={region.id})
                data = (
                    reports.unit_html(r, region.id).encode()
                    if suffix == ".html"
                    else workbook.unit_workbook(r, region.id)
                )
        except ZhiliError as exc:
            _fail(exc)
            return
    out.write_bytes(data)
    console.print(f"测评报告 → {out}")
