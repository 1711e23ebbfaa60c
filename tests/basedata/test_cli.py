"""`zhili import` and `zhili export` on a database file of their own."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from factories.basedata import cid, place
from factories.org import make_tiny_city
from zhili.basedata.population.models import Resident
from zhili.cli import app
from zhili.core import migrate
from zhili.core.config import Settings
from zhili.core.db import make_engine, make_session_factory, transaction

runner = CliRunner()


def test_import_reports_bad_rows_and_export_masks(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(Settings(database_url=url))
    migrate.upgrade(engine)
    with transaction(make_session_factory(engine)) as session:
        city = make_tiny_city(session)
        place(session, city, "G1", "A0001", "人民路", "18", ["501"])
    people = tmp_path / "people.csv"
    good = cid(born="19800101", seq="011")
    people.write_text(
        "证件号码,姓名,地址编码\n"
        f"{good},陈一,A0001-3-2-501\n"
        f"{good[:17]}{'0' if good[17] != '0' else '1'},陈二,A0001-3-2-501\n",
        encoding="gbk",
    )
    r = runner.invoke(app, ["import", "persons", str(people), "--database-url", url])
    assert r.exit_code == 1, r.output
    assert "未导入" in r.output and (tmp_path / "people.report.csv").exists()
    r = runner.invoke(
        app, ["import", "persons", str(people), "--good-rows-only", "--database-url", url]
    )
    assert r.exit_code == 0 and "新增 1" in r.output, r.output
    with make_session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Resident)) == 1
    out = tmp_path / "export.csv"
    r = runner.invoke(app, ["export", "persons", str(out), "--database-url", url])
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8-sig")
    assert good not in text and good[:4] + "*" * 10 + good[-4:] in text
    r = runner.invoke(app, ["export", "persons", str(out), "--unmask", "--database-url", url])
    assert r.exit_code == 1 and "理由" in r.output
