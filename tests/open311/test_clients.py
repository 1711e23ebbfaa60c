"""Open311 clients: made and revoked by administrators, each with its own service user."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from factories.cases import World
from factories.open311 import BASE, make_client, read_json
from factories.org import make_tiny_city, make_user
from zhili.cases import service as cases
from zhili.cases.categories import service as categories
from zhili.cases.models import Channel
from zhili.cli import app as cli
from zhili.core import migrate
from zhili.core.audit import AuditLog
from zhili.core.config import Settings
from zhili.core.db import make_engine, make_session_factory, transaction
from zhili.core.errors import Conflict, Forbidden, ValidationFailed
from zhili.core.security import Role, token_digest
from zhili.open311 import service
from zhili.open311.models import Open311Client
from zhili.org.users.models import User


def test_an_admin_registers_a_client_with_a_key_shown_once(session: Session, world: World) -> None:
    admin = make_user(session, role=Role.admin, region=None, username="root_admin")
    client, key = service.create_client(
        session, actor=admin, name="seeclickfix", channel=Channel.web
    )
    assert key.startswith("o311_") and len(key) > 40
    assert client.key_digest == token_digest(key) and key not in client.key_digest
    user = session.get(User, client.user_id)
    assert user is not None
    assert (user.username, user.role, user.region_id, user.password_hash) == (
        "open311.seeclickfix",
        "operator",
        world.city.city.id,
        None,  # no password: only the key lets anything act as this account
    )
    audit = session.scalar(select(AuditLog).where(AuditLog.action == "open311.client.create"))
    assert audit is not None and audit.actor_id == admin.id
    assert audit.after == {
        "name": "seeclickfix",
        "channel": "web",
        "request_type": "realtime",
        "user_id": user.id,
        "is_active": True,
    }
    assert service.authenticate(session, key) == (client, user)


def test_only_administrators_manage_clients(session: Session, world: World) -> None:
    with pytest.raises(Forbidden):
        service.create_client(
            session, actor=world.staff.dispatcher, name="rogue", channel=Channel.app
        )
    make_client(session, name="fms")
    with pytest.raises(Forbidden):
        service.revoke_client(session, actor=world.staff.operator, name="fms")


@pytest.mark.parametrize(
    ("name", "channel", "error"),
    [
        ("Fix My Street", Channel.app, ValidationFailed),
        ("x", Channel.app, ValidationFailed),
        ("letters", Channel.petition, ValidationFailed),
        ("fixmystreet", Channel.app, Conflict),
    ],
)
def test_names_are_slugs_channels_are_not_petitions_and_names_are_unique(
    session: Session, world: World, name: str, channel: Channel, error: type[Exception]
) -> None:
    make_client(session, name="fixmystreet")
    with pytest.raises(error):
        service.create_client(session, actor=None, name=name, channel=channel)


def test_a_client_needs_a_city_to_act_in(session: Session) -> None:
    with pytest.raises(ValidationFailed, match="create the city first"):
        service.create_client(session, actor=None, name="early", channel=Channel.app)


def test_revoking_stops_the_key_and_is_audited(session: Session, world: World) -> None:
    made = make_client(session, name="kiosk")
    revoked = service.revoke_client(session, actor=None, name="kiosk")
    assert not revoked.is_active and revoked.revoked_at is not None
    with pytest.raises(Forbidden):
        service.authenticate(session, made.key)
    with pytest.raises(Conflict):
        service.revoke_client(session, actor=None, name="kiosk")
    assert session.scalar(select(AuditLog).where(AuditLog.action == "open311.client.revoke"))


def test_the_console_prints_a_working_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'o311.db'}"
    engine = make_engine(Settings(database_url=url))
    migrate.upgrade(engine)
    with transaction(make_session_factory(engine)) as session:
        make_tiny_city(session)
        categories.load_catalogue(session, actor=None)
    runner = CliRunner()
    args = ["--database-url", url]
    made = runner.invoke(
        cli, ["open311", "client", "create", "--name", "fms", "--channel", "app", *args]
    )
    assert made.exit_code == 0, made.output
    key = made.stdout.strip().splitlines()[-1]
    assert key.startswith("o311_")
    twice = runner.invoke(
        cli, ["open311", "client", "create", "--name", "fms", "--channel", "app", *args]
    )
    assert twice.exit_code == 1 and "已存在" in twice.output
    listed = runner.invoke(cli, ["open311", "client", "list", *args])
    assert listed.stdout.split() == ["fms", "app", "realtime", "active"]
    with transaction(make_session_factory(engine)) as session:
        client, user = service.authenticate(session, key)
        assert (client.name, user.role) == ("fms", "operator")
    gone = runner.invoke(cli, ["open311", "client", "revoke", "--name", "fms", *args])
    assert gone.exit_code == 0, gone.output
    with transaction(make_session_factory(engine)) as session:
        row = session.scalar(select(Open311Client).where(Open311Client.name == "fms"))
        assert row is not None and not row.is_active
    engine.dispose()


def test_each_client_reports_on_its_own_channel(
    client: TestClient, session: Session, world: World
) -> None:
    hotline = make_client(session, name="call-centre", channel=Channel.hotline)
    session.commit()
    form = {"api_key": hotline.key, "service_code": "C0101", "address_string": "幸福路"}
    number = read_json(client.post(f"{BASE}/requests.json", data=form))[0]["service_request_id"]
    assert cases.get_by_number(session, number).channel == "hotline"
