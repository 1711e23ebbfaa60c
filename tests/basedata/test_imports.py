"""Imports: every row validated first, a per-row report, nothing half-imported, and a
re-import of the same file changes nothing."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from factories.basedata import BaseWorld, cid, make_base
from factories.org import auth, token_for
from zhili.basedata.addresses.models import Address
from zhili.basedata.addresses.service import search_addresses
from zhili.basedata.housing.models import Dwelling, Household
from zhili.basedata.imports.export import export
from zhili.basedata.imports.service import run_import
from zhili.basedata.population.models import Resident, SpecialGroupRecord
from zhili.basedata.units.models import Unit
from zhili.core.audit import AuditLog
from zhili.core.config import Settings
from zhili.core.errors import Forbidden

API = "/api/v1/basedata"
HEADER = ["证件号码", "姓名", "地址编码", "户编号", "与户主关系", "人口类型", "联系电话", "民族"]
ROOM = "A0001-3-2-502"


@pytest.fixture
def w(session: Session, settings: Settings) -> BaseWorld:
    return make_base(session, settings)


def table(header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def family(seq: int = 50) -> list[list[str]]:
    return [
        [
            cid(born="19700101", seq=f"{seq:03d}"),
            "张伟",
            ROOM,
            "H502",
            "户主",
            "户籍人口",
            "13800001111",
            "汉族",
        ],
        [
            cid(born="19720202", seq=f"{seq + 2:03d}"),
            "刘芳",
            ROOM,
            "H502",
            "配偶",
            "registered",
            "",
            "苗",
        ],
        [
            cid(born="20100303", seq=f"{seq + 4:03d}"),
            "张子涵",
            ROOM,
            "H502",
            "子女",
            "户籍人口",
            "",
            "汉族",
        ],
    ]


def counts(session: Session) -> tuple[int, ...]:
    return tuple(
        session.scalar(select(func.count()).select_from(m)) or 0
        for m in (Resident, Household, Dwelling, SpecialGroupRecord, Address, Unit)
    )


def test_a_bad_gbk_file_gets_a_per_row_report_and_changes_nothing(
    client: TestClient, session: Session, w: BaseWorld
) -> None:
    good = family()
    bad_check = good[1][0][:17] + ("1" if good[1][0][17] != "1" else "2")
    rows = [
        good[0],
        [bad_check, *good[1][1:]],
        [good[2][0], "张子涵", "NO-SUCH-ADDRESS", "H502", "子女", "户籍人口", "", "汉族"],
        [good[0][0], *good[0][1:]],  # the first row again
        [cid(born="19900230", seq="061")[:17] + "0", "钱七", ROOM, "H502", "其他", "", "", ""],
    ]
    data = table(HEADER, rows, encoding="gbk")
    before = counts(session)
    token = token_for(session, w.staff.community)
    r = client.post(
        f"{API}/imports/persons",
        headers=auth(token),
        files={"file": ("人口.csv", data, "text/csv")},
    )
    assert r.status_code == 201, r.text
    job = r.json()
    assert (job["status"], job["encoding"], job["rows"], job["valid"]) == (
        "rejected",
        "gb18030",
        5,
        1,
    )
    assert [(e["row"], e["field"]) for e in job["errors"]] == [
        (3, "id_number"),
        (4, "address_code"),
        (5, "id_number"),
        (6, "id_number"),
    ]
    reasons = [e["reason_zh"] for e in job["errors"]]
    assert "校验码错误" in reasons[0] and "NO-SUCH-ADDRESS" in reasons[1]
    assert reasons[2] == "与第2行重复" and "出生日期" in reasons[3]
    assert counts(session) == before
    report = client.get(job["report_url"], headers=auth(token))
    assert report.status_code == 200 and report.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert lines[0] == ["row", "field", "reason", "reason_zh"] and lines[2][:2] == [
        "4",
        "address_code",
    ]


def test_wrong_columns_are_named_before_any_row_is_read(session: Session, w: BaseWorld) -> None:
    data = table(["身份证", "姓名", "住址"], [["x", "y", "z"]])
    job = run_import(
        session, actor=None, vault=w.vault, kind="persons", data=data, filename="p.csv"
    )
    assert job.status == "rejected"
    assert {(e["row"], e["field"]) for e in job.errors} == {
        (1, "身份证"),
        (1, "住址"),
        (1, "id_number"),
        (1, "address_code"),
    }


def test_bytes_in_no_known_encoding_are_refused_clearly(session: Session, w: BaseWorld) -> None:
    data = "证件号码,姓名,地址编码\n".encode() + b"\xff\xfe\xfd,\x80\x80\n"
    job = run_import(
        session, actor=None, vault=w.vault, kind="persons", data=data, filename="p.csv"
    )
    assert job.status == "rejected" and job.errors[0]["field"] == "file"
    assert "编码" in job.errors[0]["reason_zh"]


def test_reimporting_the_same_file_changes_nothing(session: Session, w: BaseWorld) -> None:
    data = table(HEADER, family())
    first = run_import(
        session, actor=None, vault=w.vault, kind="persons", data=data, filename="p.csv"
    )
    assert (first.status, first.inserted, first.updated) == ("applied", 3, 0)
    snapshot = [(r.id, r.version, r.updated_at) for r in session.scalars(select(Resident))]
    audits = session.scalar(select(func.count()).select_from(AuditLog))
    again = run_import(
        session, actor=None, vault=w.vault, kind="persons", data=data, filename="p.csv"
    )
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    session.expire_all()
    assert [(r.id, r.version, r.updated_at) for r in session.scalars(select(Resident))] == snapshot
    assert (
        session.scalar(select(func.count()).select_from(AuditLog)) == (audits or 0) + 1
    )  # the job
    # one corrected phone: one update, audited with before and after
    rows = family()
    rows[0][6] = "13800002222"
    third = run_import(
        session,
        actor=None,
        vault=w.vault,
        kind="persons",
        data=table(HEADER, rows),
        filename="p.csv",
    )
    assert (third.inserted, third.updated, third.unchanged) == (0, 1, 2)
    [audit] = session.scalars(select(AuditLog).where(AuditLog.action == "resident.update"))
    assert (audit.before, audit.after) == ({"phone": "13800001111"}, {"phone": "13800002222"})


def test_good_rows_only_imports_the_good_rows_and_reports_the_rest(
    session: Session, w: BaseWorld
) -> None:
    rows = family()
    rows.insert(1, [cid(seq="090"), "", ROOM, "H502", "其他", "", "", ""])  # no name
    job = run_import(
        session,
        actor=w.staff.gridder1,
        vault=w.vault,
        kind="persons",
        data=table(HEADER, rows),
        filename="p.csv",
        good_rows_only=True,
    )
    assert (job.status, job.inserted, job.error_count) == ("partial", 3, 1)
    assert job.errors == [{"row": 3, "field": "name", "reason": "required", "reason_zh": "必填"}]
    household = session.scalar(select(Household).where(Household.code == "H502"))
    assert household is not None
    members = session.scalars(select(Resident.name).where(Resident.household_id == household.id))
    assert sorted(members) == sorted(["刘芳", "张子涵", "张伟"])


def test_a_gridder_cannot_import_into_another_grid(session: Session, w: BaseWorld) -> None:
    rows = [[cid(seq="111"), "周八", "A0002-3-2-102", "", "户主", "", "", ""]]
    job = run_import(
        session,
        actor=w.staff.gridder1,
        vault=w.vault,
        kind="persons",
        data=table(HEADER, rows),
        filename="p.csv",
    )
    assert job.status == "rejected" and job.errors[0]["reason_zh"] == "该地址不在您的管辖范围内"


def test_special_groups_listed_in_a_file_are_added_and_audited(
    session: Session, w: BaseWorld
) -> None:
    header = [*HEADER, "特殊人群"]
    rows = [[*family()[0], "社区矫正对象;重点青少年"]]
    with pytest.raises(Forbidden):  # reading base data is not enough to import it
        run_import(
            session,
            actor=w.staff.dispatcher,
            vault=w.vault,
            kind="persons",
            data=table(header, rows),
            filename="p.csv",
        )
    bad = run_import(
        session,
        actor=w.staff.gridder1,
        vault=w.vault,
        kind="persons",
        data=table(header, [[*family()[0], "社区矫正对象;不存在的类别"]]),
        filename="p.csv",
    )
    assert bad.status == "rejected" and bad.errors[0]["field"] == "special_groups"
    done = run_import(
        session,
        actor=w.staff.gridder1,
        vault=w.vault,
        kind="persons",
        data=table(header, rows),
        filename="p.csv",
    )
    assert done.status == "applied"
    groups = session.scalars(
        select(SpecialGroupRecord.special_group).order_by(SpecialGroupRecord.special_group)
    )
    assert list(groups) == ["community_correction", "key_youth"]
    added = session.scalars(
        select(AuditLog.actor_username).where(AuditLog.action == "special_group.add")
    )
    assert list(added) == ["bd_g1", "bd_g1"]


def test_a_free_text_address_is_matched_to_the_standard_address(
    session: Session, w: BaseWorld
) -> None:
    header = ["证件号码", "姓名", "地址编码", "现住地址"]
    rows = [
        [cid(seq="121"), "吴九", "", "人民路十八号3-2-502"],
        [cid(seq="123"), "郑十", "", "没有这个地方"],
    ]
    job = run_import(
        session,
        actor=None,
        vault=w.vault,
        kind="persons",
        data=table(header, rows),
        filename="p.csv",
        good_rows_only=True,
    )
    assert (job.status, job.inserted) == ("partial", 1)
    assert job.errors[0]["row"] == 3 and job.errors[0]["field"] == "address"
    resident = session.scalar(select(Resident).where(Resident.name == "吴九"))
    assert resident is not None and resident.grid_id == w.city.grids["G1"].id


def test_addresses_import_resolves_parents_anywhere_in_the_file(
    session: Session, w: BaseWorld
) -> None:
    header = [
        "地址编码",
        "上级地址编码",
        "网格编码",
        "街路巷",
        "门牌号",
        "小区",
        "楼栋",
        "单元",
        "户室",
    ]
    grid = w.city.grids["G2"].code
    rows = [
        ["B9-1-1-1201", "B9-1-1", "", "", "", "", "", "", "1201"],  # before its parent
        ["B9", "", grid, "中山路", "9", "翠湖苑", "", "", ""],
        ["B9-1", "B9", "", "中山路", "9", "", "1", "", ""],
        ["B9-1-1", "B9-1", "", "", "", "", "", "1", ""],
        ["B9-1-1-1202", "B9-1-1", "", "解放路", "", "", "", "", "1202"],  # contradicts the road
        ["C1-1", "NOPE", "", "", "", "", "1", "", ""],
    ]
    job = run_import(
        session,
        actor=None,
        vault=w.vault,
        kind="addresses",
        data=table(header, rows),
        filename="a.csv",
        good_rows_only=True,
    )
    assert (job.status, job.inserted) == ("partial", 4)
    assert [(e["row"], e["field"]) for e in job.errors] == [(6, "road"), (7, "parent_code")]
    room = session.scalar(select(Address).where(Address.code == "B9-1-1-1201"))
    assert room is not None and room.full_text == "一区一街道一社区中山路9号翠湖苑1栋1单元1201室"
    found = search_addresses(session, text="中山路9号1-1-1201")
    assert found[0][0].code == "B9-1-1-1201"
    again = run_import(
        session,
        actor=None,
        vault=w.vault,
        kind="addresses",
        data=table(header, rows[:4]),
        filename="a.csv",
    )
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)


def test_units_from_xlsx_with_their_credit_codes_checked(session: Session, w: BaseWorld) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["统一社会信用代码", "单位名称", "单位类型", "地址编码", "联系电话", "从业人数"])
    sheet.append(
        ["914403001922038216", "华为技术有限公司黔安分公司", "企业", "A0001", "13912345678", 120]
    )
    sheet.append(["914403001922038215", "错码公司", "企业", "A0001", "", 3])
    sheet.append(["91440300708461136T", "腾讯黔安办事处", "company", "A0002", "", "x"])
    out = io.BytesIO()
    book.save(out)
    job = run_import(
        session,
        actor=None,
        vault=w.vault,
        kind="units",
        data=out.getvalue(),
        filename="units.xlsx",
        good_rows_only=True,
    )
    assert (job.encoding, job.status, job.inserted) == ("xlsx", "partial", 1)
    assert [(e["row"], e["field"]) for e in job.errors] == [(3, "uscc"), (4, "staff_count")]
    unit = session.scalar(select(Unit))
    assert unit is not None and (unit.staff_count, unit.grid_id) == (120, w.city.grids["G1"].id)


def test_dwellings_import_takes_chinese_labels(session: Session, w: BaseWorld) -> None:
    data = table(
        ["地址编码", "房屋用途", "建筑面积"],
        [["A0001-3-2-501", "出租", "89.5"], ["A0001-3-2", "空置", ""]],
    )
    job = run_import(
        session, actor=None, vault=w.vault, kind="dwellings", data=data, filename="d.csv"
    )
    assert (job.status, job.inserted, job.updated) == ("applied", 1, 1)
    session.expire_all()  # the upsert is set-based SQL: reload what the session holds
    rented = session.scalar(select(Dwelling).where(Dwelling.address_id == w.g1.rooms["501"].id))
    assert rented is not None and (rented.use, rented.area_m2) == ("rented", 89.5)


def test_exports_are_masked_and_unmasking_is_permitted_and_logged(
    client: TestClient, session: Session, w: BaseWorld
) -> None:
    community = auth(token_for(session, w.staff.community))
    r = client.get(f"{API}/exports/persons.csv", headers=community)
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    wang = next(row for row in rows if row["姓名"] == "王建国")
    assert wang["证件号码"] == "5201**********" + cid(born="19650412", seq="031")[-4:]
    assert (wang["联系电话"], wang["出生日期"]) == ("139****4321", "1965-**-**")
    assert {row["姓名"] for row in rows} == {"王建国", "李秀英"}
    xlsx = client.get(f"{API}/exports/persons.xlsx", headers=community, params={"header": "en"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0][0] == "id_number" and all("*" in str(row[0]) for row in cells[1:])
    unmasked = client.post(
        f"{API}/exports/persons.csv", headers=community, params={"reason": "报送民政局核对"}
    )
    assert cid(born="19650412", seq="031") in unmasked.content.decode("utf-8-sig")
    exports = list(session.scalars(select(AuditLog).where(AuditLog.action == "basedata.export")))
    assert [e.after["unmasked"] for e in exports if e.after] == [False, False, True]
    street = auth(token_for(session, w.staff.street))  # may export, may not unmask
    assert (
        client.post(
            f"{API}/exports/persons.csv", headers=street, params={"reason": "核对核对"}
        ).status_code
        == 403
    )
    gridder = auth(token_for(session, w.staff.gridder1))  # may not export at all
    assert client.get(f"{API}/exports/persons.csv", headers=gridder).status_code == 403


def test_an_export_goes_round_trip_through_the_importer(session: Session, w: BaseWorld) -> None:
    data, n = export(
        session, actor=None, vault=w.vault, kind="persons", unmask=True, reason="迁移数据"
    )
    assert n == 2
    job = run_import(
        session, actor=None, vault=w.vault, kind="persons", data=data, filename="p.csv"
    )
    assert (job.status, job.unchanged) == ("applied", 2)
    masked, _ = export(session, actor=None, vault=w.vault, kind="persons")
    refused = run_import(
        session, actor=None, vault=w.vault, kind="persons", data=masked, filename="p.csv"
    )
    assert refused.status == "rejected"  # a masked file can never overwrite real numbers


def test_one_household_has_one_head_and_one_address(session: Session, w: BaseWorld) -> None:
    rows = family()
    rows[1][4] = "户主"  # the spouse written as a second head
    rows[2][2] = "A0001-3-2-501"  # the child placed at another address, same household
    job = run_import(
        session,
        actor=None,
        vault=w.vault,
        kind="persons",
        data=table(HEADER, rows),
        filename="p.csv",
    )
    assert job.status == "rejected"
    assert [(e["row"], e["field"]) for e in job.errors] == [(3, "relation"), (4, "household_code")]
    assert job.errors[1]["reason_zh"] == "户 H502 在第2行登记于另一地址"
