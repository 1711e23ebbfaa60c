"""``zhili index …``: compute an index, analyse its uncertainty, compare periods, make demo
data. File in, file out; nothing is stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table as RichTable

from zhili.assessment.rankings import month_bounds
from zhili.core.config import Settings
from zhili.core.db import make_engine, make_session_factory
from zhili.core.errors import ZhiliError
from zhili.indices import charts, demo, metrics, results, tables, uncertainty
from zhili.indices.campaigns.commands import app as campaign_app
from zhili.indices.framework import Framework, load, shipped
from zhili.indices.pipeline import compute
from zhili.indices.spec import UncertaintySpec

app = typer.Typer(help="综合指数 composite indices", no_args_is_help=True)
app.add_typer(campaign_app, name="campaign")
console = Console()

FrameworkOpt = Annotated[
    str, typer.Option("--framework", "-f", help="YAML/Excel file or a shipped name")
]
DataOpt = Annotated[Path, typer.Option("--data", "-d", help="CSV or Excel, one row per unit")]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="CSV to write")]


def _fail(exc: ZhiliError) -> None:
    console.print(f"[red]错误：{exc.message_zh}[/red] ({exc.message})")
    raise typer.Exit(code=1)


def _framework(name: str) -> Framework:
    try:
        return load(name)
    except ZhiliError as exc:
        _fail(exc)
        raise  # unreachable: _fail exits


@app.command("frameworks")
def list_frameworks() -> None:
    """List the shipped example frameworks. 列出内置指标体系。"""
    for name in shipped():
        fw = load(name)
        console.print(f"{name}\t{fw.name}\t{len(fw.indicators)} 项指标")


@app.command("compute")
def compute_cmd(
    framework: FrameworkOpt,
    data: DataOpt,
    out: OutOpt,
    indicators: Annotated[bool, typer.Option(help="also write normalised indicators")] = False,
    details: Annotated[
        Path | None, typer.Option(help="JSON with weights, strengths and weaknesses")
    ] = None,
) -> None:
    """Compute the index: one row per unit, each aggregate's score and rank. 计算综合指数。"""
    fw = _framework(framework)
    try:
        result = compute(fw, tables.read(data))
    except ZhiliError as exc:
        _fail(exc)
        return
    header, rows = results.result_rows(result, indicators=indicators)
    out.write_text(tables.write_csv(header, rows), encoding="utf-8")
    if details:
        details.write_text(
            json.dumps(charts.result_details(result), ensure_ascii=False, indent=1),
            encoding="utf-8",
        )
    vetoed = sum(1 for v in result.vetoes if v)
    console.print(
        f"{fw.name}：{len(rows)} 个单位，{len(fw.aggregates)} 个汇总项，"
        f"{vetoed} 个单位触发否决指标 → {out}"
    )


@app.command("uncertainty")
def uncertainty_cmd(
    framework: FrameworkOpt,
    data: DataOpt,
    out: OutOpt,
    runs: Annotated[int | None, typer.Option(help="model evaluations (default: framework)")] = None,
    seed: Annotated[int | None, typer.Option()] = None,
    summary: Annotated[Path | None, typer.Option(help="JSON with Sobol indices")] = None,
) -> None:
    """Monte Carlo ranks (median, 5–95 %) and Sobol indices. 不确定性与敏感性分析。"""
    fw = _framework(framework)
    spec = fw.spec.uncertainty or UncertaintySpec()
    update = {k: v for k, v in (("runs", runs), ("seed", seed)) if v is not None}
    spec = spec.model_copy(update=update)
    try:
        u = uncertainty.analyse(fw, tables.read(data), spec)
    except ZhiliError as exc:
        _fail(exc)
        return
    plain = uncertainty.summary(u)
    header = ["code", "name", "nominal_rank", "median_rank", "p05_rank", "p95_rank", "mean_rank"]
    rows = [[unit[h] for h in header] for unit in plain["units"]]
    out.write_text(tables.write_csv(header, rows), encoding="utf-8")
    if summary:
        plain["charts"] = charts.uncertainty_charts(u)
        summary.write_text(json.dumps(plain, ensure_ascii=False, indent=1), encoding="utf-8")
    table = RichTable(title=f"Sobol 敏感性指数（{u.runs} 次运行，平均名次变动 {u.mean_shift:.2f}）")
    for col in ("因素 factor", "一阶 S_i", "总效应 S_Ti"):
        table.add_column(col)
    for f in plain["factors"]:
        table.add_row(
            f"{f['label_zh']} {f['factor']}", f"{f['first_order']:.3f}", f"{f['total']:.3f}"
        )
    console.print(table)
    console.print(f"名次区间 → {out}")


@app.command("compare")
def compare_cmd(
    framework: FrameworkOpt,
    period: Annotated[
        list[str], typer.Option("--period", "-p", help="LABEL=FILE, oldest first, ≥ 2")
    ],
    out: OutOpt,
    code: Annotated[
        str | None, typer.Option(help="aggregate to compare (default: the index)")
    ] = None,
) -> None:
    """Compare periods on a pooled normalisation. 跨期比较。"""
    fw = _framework(framework)
    periods = {}
    for item in period:
        label, _, path = item.partition("=")
        if not path:
            console.print(f"[red]--period 须写作 标签=文件：{item}[/red]")
            raise typer.Exit(code=2)
        periods[label] = Path(path)
    try:
        comp = results.compare(fw, {k: tables.read(v) for k, v in periods.items()})
    except ZhiliError as exc:
        _fail(exc)
        return
    header, rows = results.comparison_rows(comp, code or fw.root)
    out.write_text(tables.write_csv(header, rows), encoding="utf-8")
    console.print(f"{len(comp.periods)} 个时期，{len(rows)} 个单位 → {out}")


@app.command("demo-data")
def demo_data(
    framework: FrameworkOpt,
    out: OutOpt,
    level: Annotated[str, typer.Option(help="district | street")] = "street",
    size: Annotated[str, typer.Option(help="demo city size (without --database-url)")] = "small",
    seed: Annotated[int, typer.Option(help="seed of the figures")] = 1,
    city_seed: Annotated[int, typer.Option(help="seed of the demo city")] = 1,
    database_url: Annotated[
        str | None,
        typer.Option(help="take the units and metric:… figures from this zhili database"),
    ] = None,
    month: Annotated[str | None, typer.Option(help="YYYY-MM for metric:… figures")] = None,
) -> None:
    """Demo data for the demo city's districts or streets. 生成演示数据。"""
    fw = _framework(framework)
    try:
        if database_url is None:
            table = demo.demo_table(
                fw, demo.plan_units(size=size, seed=city_seed, level=level), seed=seed
            )
            filled: list[str] = []
        else:
            settings = Settings(database_url=database_url)
            factory = make_session_factory(make_engine(settings))
            with factory() as session:
                units = metrics.units_from_db(session, level=level)
                table = demo.demo_table(fw, units, seed=seed)
                if month:
                    start, end = month_bounds(month)
                    table, filled = metrics.fill_metrics(
                        session, settings=settings, framework=fw, table=table, level=level,
                        start=start, end=end,
                    )  # fmt: skip
                else:
                    filled = []
    except (ZhiliError, ValueError) as exc:
        if isinstance(exc, ZhiliError):
            _fail(exc)
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(code=1) from exc
    header = ["code", "name", *table.columns]
    rows = [
        [c, n, *(table.cells[col][i] for col in table.columns)]
        for i, (c, n) in enumerate(zip(table.codes, table.names, strict=True))
    ]
    out.write_text(tables.write_csv(header, rows), encoding="utf-8")
    extra = f"，系统指标 {', '.join(filled)} 取自 zhili" if filled else ""
    console.print(f"{table.n} 个单位的演示数据{extra} → {out}")
