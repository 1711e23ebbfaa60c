"""Importing a criteria catalogue from Excel: every row checked, nothing half-imported."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from factories.campaigns import HEADER, criteria_rows, fill_first_round, setup, xlsx
from factories.org import auth, make_tiny_city, make_user, token_for
from zhili.cli import app
from zhili.core import migrate
from zhili.core.config import Settings
from zhili.core.db import make_engine, make_session_factory, transaction
from zhili.core.security import Role
from zhili.indices.campaigns.models import EvalCatalogue, EvalCriterion

URL = "/api/v1/indices/campaigns/catalogues"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload(client: TestClient, headers: dict[str, str], data: bytes, name: str = "体系"):  # type: ignore[no-untyped-def]
    return client.post(
        URL, headers=headers, data={"name": name}, files={"file": ("c.xlsx", data, XLSX)}
    )


def test_a_good_catalogue_imports_every_criterion_with_its_rule(
    client: TestClient, session: Session
) -> None:
    city = make_tiny_city(session)
    headers = auth(token_for(session, make_user(session, role=Role.evaluator, region=city.city)))
    session.commit()
    r = _upload(client, headers, xlsx(criteria_rows("")[:2] + criteria_rows("")[3:]))
    assert r.status_code == 201, r.text
    assert r.json()["criteria"] == 4
    crit = client.get(f"{URL}/{r.json()['id']}/criteria", headers=headers).json()
    c1, c4 = crit[0], crit[2]
    assert (c1["method"], c1["per_item"], c1["cap"], c1["site_types"]) == (
        "field_survey", 2.0, 6.0, ["综治中心", "小区"],
    )  # fmt: skip
    # "50%" and 0.9 are both rates; an empty cap means none was set
    assert (c4["method"], c4["question"], c4["zero_at"], c4["full_at"]) == (
        "questionnaire", "Q1", 0.5, 0.9,
    )  # fmt: skip
    assert crit[1]["cap"] is None
    assert _upload(client, headers, xlsx(criteria_rows("")[:1])).status_code == 409  # same name


def test_a_bad_file_lists_every_bad_row_and_imports_nothing(
    client: TestClient, session: Session
) -> None:
    city = make_tiny_city(session)
    headers = auth(token_for(session, make_user(session, role=Role.evaluator, region=city.city)))
    session.commit()
    good = criteria_rows("")
    rows = [
        good[0],
        ["C2", "", "监控", -5, "实地监测", None, None, 1, None, None, None, None, None],
        ["C3", "", "机制", 6, "查资料", None, None, None, None, None, None, None, None],
        ["C1", "", "重复", 3, "实地调查", None, None, 1, None, None, None, None, None],
        ["C5", "", "满意", 4, "问卷调查", None, None, None, None, None, "90%", "50%", None],
        ["C6", "", "台账", 4, "部门审核", "台账", None, None, 5, None, None, None, "NO-SUCH"],
        ["C7", "", "走访", 4, "网上评估", None, None, None, None, None, None, None, None],
        ["C8", "", "知晓", 4, "问卷调查", None, None, None, None, None, "abc", None, None],
    ]
    r = _upload(client, headers, xlsx(rows))
    assert r.status_code == 422, r.text
    found = {(d["loc"][2], d["loc"][3]) for d in r.json()["detail"]}
    assert found == {
        (3, "分值"),
        (4, "测评方法"),
        (5, "编号"),
        (6, "问卷题目"),
        (6, "满分比率"),
        (7, "扣分上限"),
        (7, "责任部门"),
        (8, "每项扣分"),
        (9, "零分比率"),
        (9, "问卷题目"),
    }
    messages = {(d["loc"][2], d["loc"][3]): d["msg_zh"] for d in r.json()["detail"]}
    assert messages[(5, "编号")] == "与第 2 行重复"
    assert "实地调查" in messages[(4, "测评方法")]
    assert session.scalar(select(func.count()).select_from(EvalCatalogue)) == 0
    assert session.scalar(select(func.count()).select_from(EvalCriterion)) == 0
    # an unknown department alone
    r = _upload(client, headers, xlsx([rows[5][:8] + [None] * 4 + ["NO-SUCH"]]))
    assert [(d["loc"][2], d["loc"][3]) for d in r.json()["detail"]] == [(2, "责任部门")]


def test_files_that_are_not_catalogues_are_refused(client: TestClient, session: Session) -> None:
    city = make_tiny_city(session)
    headers = auth(token_for(session, make_user(session, role=Role.evaluator, region=city.city)))
    street = auth(token_for(session, make_user(session, role=Role.street, region=city.street)))
    session.commit()
    r = _upload(client, headers, b"code,name\n1,2\n")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][2:] == [0, "file"]
    r = _upload(client, headers, xlsx([["C1", "x"]], header=["编号", "标准名称"]))
    assert {d["loc"][3] for d in r.json()["detail"]} == {"标准名称", "测评标准", "分值", "测评方法"}
    assert _upload(client, headers, xlsx([])).status_code == 422
    assert _upload(client, street, xlsx(criteria_rows("")[:1])).status_code == 403


def test_the_cli_imports_a_catalogue_and_writes_reports(tmp_path: Path, settings: Settings) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(Settings(database_url=url))
    migrate.upgrade(engine)
    runner = CliRunner()
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx([["C1", "", "x", 0, "实地调查", None, None, 1] + [None] * 5]))
    r = runner.invoke(app, ["index", "campaign", "import-criteria", str(bad), "--name", "甲",
                            "--database-url", url])  # fmt: skip
    assert r.exit_code == 1 and "分值" in r.output, r.output
    with transaction(make_session_factory(engine)) as session:
        s = setup(session, settings.model_copy(update={"database_url": url}))
        fill_first_round(session, s, settings)
        campaign_id = s.campaign.id
    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx(criteria_rows("")[:2]))
    r = runner.invoke(app, ["index", "campaign", "import-criteria", str(good), "--name", "乙",
                            "--database-url", url])  # fmt: skip
    assert r.exit_code == 0 and "已导入" in r.output, r.output
    r = runner.invoke(app, ["index", "campaign", "scores", str(campaign_id), "--database-url", url])
    assert r.exit_code == 0 and "82.86" in r.output and "56.29" in r.output, r.output
    out = tmp_path / "s1.html"
    r = runner.invoke(app, ["index", "campaign", "report", str(campaign_id), "--unit", "529901001",
                            "--out", str(out), "--database-url", url])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "一街道测评分报告" in out.read_text(encoding="utf-8")
    assert HEADER[0] == "编号"
