"""The `zhili` command as an administrator uses it on a fresh database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from zhili.cli import app
from zhili.core.audit import AuditLog
from zhili.core.config import Settings
from zhili.core.db import make_engine, make_session_factory
from zhili.org.models import Region
from zhili.org.users import service as users_service
from zhili.org.users.models import User

runner = CliRunner()


def test_init_demo_users_and_tokens_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    r = runner.invoke(
        app,
        [
            "init",
            "--database-url",
            url,
            "--admin-password",
            "a-long-password",
        ],
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app,
        [
            "demo",
            "--size",
            "small",
            "--seed",
            "3",
            "--cases",
            "30",
            "--no-serve",
            "--database-url",
            url,
        ],
    )
    assert r.exit_code == 0, r.output
    assert "演示城市已生成" in r.output
    again = runner.invoke(app, ["demo", "--no-serve", "--database-url", url])
    assert again.exit_code == 0 and "跳过生成" in again.output

    r = runner.invoke(
        app,
        [
            "users",
            "create",
            "--username",
            "li_na",
            "--full-name",
            "李娜",
            "--role",
            "gridder",
            "--region-code",
            "nope",
            "--password",
            "x" * 10,
            "--database-url",
            url,
        ],
    )
    assert r.exit_code == 1 and "未找到代码" in r.output

    factory = make_session_factory(make_engine(Settings(database_url=url)))
    with factory() as session:
        grid_code = session.scalar(select(Region.code).where(Region.level == "grid").limit(1))
        grids = session.scalar(select(func.count()).where(Region.level == "grid"))
    assert grids and 250 <= grids <= 350
    r = runner.invoke(
        app,
        [
            "users",
            "create",
            "--username",
            "li_na",
            "--full-name",
            "李娜",
            "--role",
            "gridder",
            "--region-code",
            str(grid_code),
            "--password",
            "x" * 10,
            "--database-url",
            url,
        ],
    )
    assert r.exit_code == 0, r.output

    r = runner.invoke(app, ["token", "create", "--username", "li_na", "--database-url", url])
    assert r.exit_code == 0, r.output
    token = r.output.strip().splitlines()[-1]
    with factory() as session:
        user = users_service.resolve_token(session, token)
        assert user.username == "li_na"
        actions = set(session.scalars(select(AuditLog.action)).all())
        assert {"user.create", "demo.build", "token.create"} <= actions
        # the administrator from `init` survives the demo with their own password
        admin = session.scalar(select(User).where(User.username == "admin"))
        assert admin is not None and admin.region_id is None
        users_service.authenticate(session, username="admin", password="a-long-password")


def test_demo_refuses_an_unknown_size(tmp_path: Path) -> None:
    r = runner.invoke(
        app,
        [
            "demo",
            "--size",
            "huge",
            "--no-serve",
            "--database-url",
            f"sqlite:///{tmp_path / 'x.db'}",
        ],
    )
    assert r.exit_code == 2
