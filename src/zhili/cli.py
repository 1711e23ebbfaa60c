"""The ``zhili`` command: set up, fill with a demo city, serve, manage accounts and tokens."""

from __future__ import annotations

import getpass
import json
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from fastapi import FastAPI
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from zhili.app import create_app
from zhili.assessment import service as assessment_service
from zhili.basedata import commands as basedata_commands
from zhili.basedata.vault import vault_for
from zhili.cases.categories import service as categories_service
from zhili.cases.storage import LocalStorage
from zhili.cases.supervision import service as supervision_service
from zhili.core import migrate
from zhili.core.audit import new_request_id, request_id_var
from zhili.core.clock import utcnow
from zhili.core.config import Settings
from zhili.core.db import make_engine, make_session_factory, transaction
from zhili.core.errors import ZhiliError
from zhili.core.security import Role
from zhili.demo.basedata import build_basedata
from zhili.demo.campaigns import build_demo_campaign
from zhili.demo.cases import DEFAULT_CASES, SimulationStats, simulate_cases
from zhili.demo.city import DEMO_PASSWORD, SIZES, build_city
from zhili.indices.commands import app as index_app
from zhili.insight import scan as insight_scan
from zhili.insight.commands import app as insight_app
from zhili.open311.cli import app as open311_app
from zhili.org import service as org_service
from zhili.org.models import Department, Region, RegionLevel
from zhili.org.users import service as users_service
from zhili.org.users.models import User
from zhili.web.dashboard import pages as dashboard_pages
from zhili.web.dashboard.ranking import current_month

app = typer.Typer(help="zhili 治理 — 市域社会治理平台", no_args_is_help=True)
users_app = typer.Typer(help="账号管理 accounts", no_args_is_help=True)
token_app = typer.Typer(help="API 令牌 tokens", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(token_app, name="token")
app.add_typer(open311_app, name="open311")
app.add_typer(index_app, name="index")
app.add_typer(insight_app, name="insight")
app.command("import")(basedata_commands.import_file)  # 一标三实 files
app.command("export")(basedata_commands.export_file)
console = Console()


def _settings(database_url: str | None) -> Settings:
    return Settings(database_url=database_url) if database_url else Settings()


DbOption = Annotated[
    str | None, typer.Option("--database-url", help="overrides ZHILI_DATABASE_URL")
]


def _fail(exc: ZhiliError) -> None:
    console.print(f"[red]错误：{exc.message_zh}[/red] ({exc.message})")
    raise typer.Exit(code=1)


@app.command()
def init(
    database_url: DbOption = None,
    admin_username: Annotated[str, typer.Option(help="first administrator")] = "admin",
    admin_password: Annotated[str | None, typer.Option(help="prompted when omitted")] = None,
    city_code: Annotated[
        str | None, typer.Option(help="6-digit GB/T 2260 code of the city")
    ] = None,
    city_name: Annotated[str | None, typer.Option(help="e.g. 贵阳市")] = None,
) -> None:
    """Create or migrate the database and create the first administrator. 初始化数据库。"""
    settings = _settings(database_url)
    engine = make_engine(settings)
    migrate.upgrade(engine)
    console.print("数据库已迁移到最新版本 (database migrated)")
    factory = make_session_factory(engine)
    request_id_var.set(new_request_id())
    try:
        with transaction(factory) as session:
            city = None
            if city_code and city_name:
                city = org_service.create_region(
                    session, actor=None, level=RegionLevel.city, code=city_code, name=city_name
                )
            changed = categories_service.load_catalogue(session, actor=None)
            console.print(f"案件分类目录已加载（{changed} 项变更）")
            if session.scalar(select(User.id).where(User.username == admin_username)) is None:
                password = admin_password or getpass.getpass("管理员密码 admin password: ")
                users_service.create_user(
                    session,
                    actor=None,
                    username=admin_username,
                    full_name="系统管理员",
                    role=Role.admin,
                    password=password,
                    region_id=city.id if city else None,
                )
                console.print(f"已创建管理员 {admin_username}")
    except ZhiliError as exc:
        _fail(exc)


@app.command()
def demo(
    size: Annotated[str, typer.Option(help="small | city | megacity")] = "small",
    seed: Annotated[int, typer.Option(help="same seed, same city")] = 1,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
    host: str = "127.0.0.1",
    port: int = 8000,
    database_url: DbOption = None,
    cases: Annotated[
        int | None,
        typer.Option(
            "--cases",
            help="a year of simulated cases for a new city (0: none; "
            + ", ".join(f"{k} {v}" for k, v in DEFAULT_CASES.items())
            + " by default)",
        ),
    ] = None,
) -> None:
    """Build the synthetic demo city and a year of its cases (once), then serve it.
    生成演示城市及一年的案件。"""
    if size not in SIZES:
        console.print(f"[red]未知规模 {size}；可选：{', '.join(SIZES)}[/red]")
        raise typer.Exit(code=2)
    if cases is not None and cases < 0:
        console.print("[red]--cases 不能为负数[/red]")
        raise typer.Exit(code=2)
    settings = _settings(database_url)
    engine = make_engine(settings)
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    request_id_var.set(new_request_id())
    with factory() as probe:
        existing = probe.scalar(select(func.count()).select_from(Region)) or 0
    if existing:
        console.print(f"数据库中已有 {existing} 个区划，跳过生成 (demo city already present)")
    else:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            tasks: dict[str, TaskID] = {}

            def report(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = progress.add_task(stage, total=total)
                progress.update(tasks[stage], completed=done, total=total)

            with transaction(factory) as session:
                stats = build_city(session, size=size, seed=seed, progress=report)
                categories_service.load_catalogue(session, actor=None)
            with transaction(factory) as session:  # 一标三实 base data (zhili.demo.basedata)
                base = build_basedata(
                    session, seed=seed, size=size, vault=vault_for(settings), progress=report
                )
            with transaction(factory) as session:  # one closed 测评 campaign with its tasks
                build_demo_campaign(
                    session, settings=settings, storage=LocalStorage(settings.media_root), seed=seed
                )
            wanted = DEFAULT_CASES[size] if cases is None else cases
            simulated = (
                simulate_cases(
                    factory,
                    cases=wanted,
                    seed=seed,
                    progress=report,
                    settings=settings,
                    plant=True,  # known hotspots, surges, repeat callers (zhili.demo.planted)
                )
                if wanted
                else None
            )
            found: dict[str, int] = {}
            if simulated is not None:
                # 研判预警 over the simulated year, so the dashboard's feed has what was planted
                with transaction(factory) as session:
                    found = insight_scan.run(
                        session, actor=None, start=simulated.start, end=simulated.end
                    )
        console.print(f"演示城市已生成：{stats}")
        console.print(f"一标三实数据已生成：{base}")
        if simulated is not None:
            _print_simulation(simulated)
            console.print(f"  研判预警：{json.dumps(found, ensure_ascii=False)}")
            truth = simulated.truth
            if truth is not None and (truth.hotspots or truth.surges or truth.callers):
                truth_file = Path(settings.media_root) / "demo" / "planted.json"
                truth_file.parent.mkdir(parents=True, exist_ok=True)
                truth_file.write_text(truth.to_json(), encoding="utf-8")
                console.print(f"  埋设的热点、激增和重复来电：{truth_file}")
    console.print(f"演示账号密码均为 [bold]{DEMO_PASSWORD}[/bold]（如 admin、dispatcher_city_1）")
    if serve_after:
        _serve(settings, host, port)


def _print_simulation(stats: SimulationStats) -> None:
    states = "，".join(f"{k} {v}" for k, v in sorted(stats.states.items()))
    whistles = "，".join(f"{k} {v}" for k, v in sorted(stats.whistles.items()))
    console.print(
        f"已模拟 {stats.cases} 件案件（{stats.start:%Y-%m-%d} 至 {stats.end:%Y-%m-%d}），"
        f"{stats.events} 条办理记录，用时 {stats.seconds:.1f} 秒"
        f"（{stats.cases_per_second:.0f} 件/秒）"
    )
    console.print(f"  案件状态：{states}")
    console.print(
        f"  吹哨：{whistles or '无'}；超时升级 {stats.actions.get('overdue', 0)} 次，"
        f"报到超时 {stats.late_report_ins} 个部门"
    )


def _serve(settings: Settings, host: str, port: int) -> None:
    console.print(f"zhili 正在运行：http://{host}:{port}  (API 文档 /docs)")
    application = create_app(settings)
    if settings.tick_interval_seconds:
        factory = make_session_factory(make_engine(settings))
        _start_ticker(settings, after=lambda: _warm_dashboard(application, settings, factory))
    uvicorn.run(application, host=host, port=port, log_level="info")


def _warm_dashboard(
    application: FastAPI, settings: Settings, factory: sessionmaker[Session]
) -> None:
    """Rank this month's units for the dashboard before anyone asks (see RankingCache.warm)."""
    with factory() as session:
        dashboard_pages.app_ranking_cache(application).warm(
            session, settings, current_month(utcnow())
        )


def _run_tick(settings: Settings) -> supervision_service.TickResult:
    factory = make_session_factory(make_engine(settings))
    request_id_var.set(new_request_id())
    with transaction(factory) as session:
        result = supervision_service.tick(session)
        # the assessment rollup follows the event log on the same beat
        assessment_service.refresh_rollup(session)
        return result


def _start_ticker(settings: Settings, *, after: Callable[[], None] | None = None) -> None:
    """The supervision timers, every tick_interval_seconds, beside the web server; ``after``
    runs after each tick and once at start (the dashboard's rankings are warmed there)."""

    def follow() -> None:
        if after is None:
            return
        try:
            after()
        except Exception as exc:  # the warm-up is an optimisation: never stop the ticker
            console.print(f"[red]看板排名预计算失败：{exc}[/red]")

    def loop() -> None:
        follow()
        while True:
            time.sleep(settings.tick_interval_seconds)
            try:
                _run_tick(settings)
            except Exception as exc:  # a failed tick must not stop the next one
                console.print(f"[red]督办计时失败：{exc}[/red]")
            follow()

    threading.Thread(target=loop, name="zhili-tick", daemon=True).start()


@app.command()
def tick(database_url: DbOption = None) -> None:
    """Run the supervision timers once (overdue steps, late report-ins). 督办计时。"""
    started = time.perf_counter()
    result = _run_tick(_settings(database_url))
    console.print(
        f"超时升级 {result.overdue_cases} 件，报到超时 {result.late_report_ins} 个部门"
        f"（{time.perf_counter() - started:.2f} 秒）"
    )


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    database_url: DbOption = None,
) -> None:
    """Serve the web app and API. 启动服务。"""
    settings = _settings(database_url)
    migrate.upgrade(make_engine(settings))
    _serve(settings, host, port)


def _lookup_id(
    session: object, model: type[Region] | type[Department], code: str | None
) -> int | None:
    if code is None:
        return None
    assert hasattr(session, "scalar")
    found = session.scalar(select(model.id).where(model.code == code))
    if found is None:
        console.print(f"[red]未找到代码 {code}[/red]")
        raise typer.Exit(code=1)
    return int(found)


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option()],
    full_name: Annotated[str, typer.Option()],
    role: Annotated[Role, typer.Option()],
    region_code: Annotated[str | None, typer.Option(help="scope: region code")] = None,
    department_code: Annotated[str | None, typer.Option()] = None,
    phone: Annotated[str | None, typer.Option()] = None,
    password: Annotated[str | None, typer.Option(help="prompted when omitted")] = None,
    database_url: DbOption = None,
) -> None:
    """Create an account. 创建账号。"""
    factory = make_session_factory(make_engine(_settings(database_url)))
    request_id_var.set(new_request_id())
    try:
        with transaction(factory) as session:
            user = users_service.create_user(
                session,
                actor=None,
                username=username,
                full_name=full_name,
                role=role,
                password=password or getpass.getpass("密码 password: "),
                region_id=_lookup_id(session, Region, region_code),
                department_id=_lookup_id(session, Department, department_code),
                phone=phone,
            )
            console.print(f"已创建账号 {user.username} (id {user.id})")
    except ZhiliError as exc:
        _fail(exc)


@token_app.command("create")
def token_create(
    username: Annotated[str, typer.Option()],
    name: Annotated[str, typer.Option()] = "cli",
    ttl_hours: Annotated[int | None, typer.Option(help="default: no expiry")] = None,
    database_url: DbOption = None,
) -> None:
    """Print a new bearer token for a user. 生成 API 令牌。"""
    factory = make_session_factory(make_engine(_settings(database_url)))
    request_id_var.set(new_request_id())
    with transaction(factory) as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            console.print(f"[red]未找到用户 {username}[/red]")
            raise typer.Exit(code=1)
        ttl = timedelta(hours=ttl_hours) if ttl_hours else None
        token, _ = users_service.issue_token(session, actor=None, user=user, name=name, ttl=ttl)
    print(token)
