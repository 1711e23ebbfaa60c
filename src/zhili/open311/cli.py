"""``zhili open311 client create|list|revoke``: the administrator's console for Open311 keys."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from zhili.cases.models import Channel
from zhili.core.audit import new_request_id, request_id_var
from zhili.core.config import Settings
from zhili.core.db import make_engine, make_session_factory, transaction
from zhili.core.errors import ZhiliError
from zhili.open311 import service
from zhili.open311.models import RequestType

app = typer.Typer(help="Open311 GeoReport v2 接口", no_args_is_help=True)
client_app = typer.Typer(help="Open311 客户端与 API 密钥 clients and keys", no_args_is_help=True)
app.add_typer(client_app, name="client")
console = Console(stderr=True)  # messages to stderr: stdout carries only the key

DbOption = Annotated[
    str | None, typer.Option("--database-url", help="overrides ZHILI_DATABASE_URL")
]


def _session_factory(database_url: str | None) -> sessionmaker[Session]:
    settings = Settings(database_url=database_url) if database_url else Settings()
    request_id_var.set(new_request_id())
    return make_session_factory(make_engine(settings))


def _fail(exc: ZhiliError) -> None:
    console.print(f"[red]错误：{exc.message_zh}[/red] ({exc.message})")
    raise typer.Exit(code=1)


@client_app.command("create")
def create(
    name: Annotated[str, typer.Option(help="e.g. fixmystreet, kiosk-1")],
    channel: Annotated[Channel, typer.Option(help="recorded on every case it reports")],
    request_type: Annotated[
        RequestType, typer.Option("--type", help="realtime: case number at once; batch: token")
    ] = RequestType.realtime,
    database_url: DbOption = None,
) -> None:
    """Register a client and print its API key (shown only this once). 创建客户端。"""
    try:
        with transaction(_session_factory(database_url)) as session:
            client, key = service.create_client(
                session, actor=None, name=name, channel=channel, request_type=request_type
            )
            console.print(
                f"已创建 Open311 客户端 {client.name}（{client.channel}），密钥只显示一次："
            )
    except ZhiliError as exc:
        _fail(exc)
    print(key)


@client_app.command("list")
def list_(database_url: DbOption = None) -> None:
    """List clients (never their keys). 列出客户端。"""
    with transaction(_session_factory(database_url)) as session:
        for c in service.list_clients(session):
            state = "active" if c.is_active else f"revoked {c.revoked_at:%Y-%m-%d}"
            print(f"{c.name}\t{c.channel}\t{c.request_type}\t{state}")


@client_app.command("revoke")
def revoke(
    name: Annotated[str, typer.Option()],
    database_url: DbOption = None,
) -> None:
    """Stop a client's key at once. 停用客户端。"""
    try:
        with transaction(_session_factory(database_url)) as session:
            service.revoke_client(session, actor=None, name=name)
    except ZhiliError as exc:
        _fail(exc)
    console.print(f"已停用 Open311 客户端 {name}")
