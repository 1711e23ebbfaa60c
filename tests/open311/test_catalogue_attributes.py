"""Category attributes are catalogue data: loaded from YAML, checked, upserted, audited."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases.categories import service as categories
from zhili.core.audit import AuditLog
from zhili.core.errors import ValidationFailed


def catalogue(attributes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "defaults": {
            "deadline": {"amount": 7, "unit": "days", "working": True},
            "response": {"amount": 2, "unit": "hours", "working": True},
        },
        "categories": [
            {"code": "Z01", "name": "测试大类", "kind": "event"},
            {"code": "Z0101", "parent": "Z01", "name": "测试小类", "attributes": attributes},
        ],
    }


WELL = {
    "code": "depth",
    "datatype": "number",
    "order": 1,
    "description": "深度",
}


def test_the_shipped_catalogue_gives_the_lamp_and_the_noise_their_fields(
    session: Session,
) -> None:
    categories.load_catalogue(session, actor=None)
    lamp = categories.get_by_code(session, "C0201")
    assert [a["code"] for a in lamp.attributes] == ["lamp_state", "pole_number"]
    assert lamp.attributes[0]["values"][0] == {"key": "off", "name": "夜间不亮 (out at night)"}
    noise = categories.get_by_code(session, "E0601")
    assert [(a["code"], a["datatype"], a["required"]) for a in noise.attributes] == [
        ("noise_time", "datetime", True),
        ("noise_source", "multivaluelist", False),
    ]
    assert categories.get_by_code(session, "C0101").attributes == []
    assert categories.load_catalogue(session, actor=None) == 0  # loading again changes nothing


def test_attributes_are_upserted_in_order_and_audited(session: Session) -> None:
    second = {**WELL, "code": "note", "datatype": "text", "order": 2, "description": "说明"}
    assert categories.load_catalogue(session, actor=None, data=catalogue([second, WELL])) == 2
    row = categories.get_by_code(session, "Z0101")
    assert [a["code"] for a in row.attributes] == ["depth", "note"]  # by order, not file order
    assert row.attributes[0] == {
        "code": "depth",
        "variable": True,
        "datatype": "number",
        "required": False,
        "datatype_description": None,
        "order": 1,
        "description": "深度",
        "values": [],
    }
    assert categories.load_catalogue(session, actor=None, data=catalogue([WELL])) == 1
    assert [a["code"] for a in categories.get_by_code(session, "Z0101").attributes] == ["depth"]
    update = session.scalars(
        select(AuditLog).where(AuditLog.action == "category.update").order_by(AuditLog.id.desc())
    ).first()
    assert update is not None and update.before is not None and update.after is not None
    assert len(update.before["attributes"]) == 2 and len(update.after["attributes"]) == 1


@pytest.mark.parametrize(
    "attributes",
    [
        [{**WELL, "datatype": "singlevaluelist"}],  # a list without values
        [{**WELL, "values": [{"key": "a", "name": "A"}]}],  # values on a number
        [{**WELL, "datatype": "colour"}],
        [WELL, {**WELL, "order": 2}],  # the same code twice
        [WELL, {**WELL, "code": "other"}],  # the same order twice
        [{**WELL, "code": "bad code"}],
        [{**WELL, "requried": True}],  # a misspelt key is not silently dropped
        [
            {
                **WELL,
                "datatype": "multivaluelist",
                "values": [{"key": "a", "name": "A"}, {"key": "a", "name": "B"}],
            }
        ],
    ],
)
def test_malformed_attributes_are_refused(session: Session, attributes: list[Any]) -> None:
    with pytest.raises(ValidationFailed):
        categories.load_catalogue(session, actor=None, data=catalogue(attributes))
