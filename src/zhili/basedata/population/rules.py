"""The rules a resident record must keep, shared by the API and the importer.

``check`` takes the raw values of one person (strings or enum members, as typed by a clerk
or read from a file), returns them normalised and completed (birth date and gender from the
ID number), or raises ``FieldError`` naming the field and the reason in both languages.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Any

from zhili.basedata.population.codes import (
    ETHNIC_GROUPS,
    LABELS_ZH,
    Education,
    Gender,
    IdType,
    InflowReason,
    LeftBehindKind,
    MaritalStatus,
    PoliticalStatus,
    Relation,
    ResidentType,
)
from zhili.basedata.validators import Invalid, parse_citizen_id, parse_phone

_DOCUMENT_RE = re.compile(r"^[0-9A-Z]{5,20}$")
_NATIONALITY_RE = re.compile(r"^[A-Z]{3}$")

ENUM_FIELDS: dict[str, type[StrEnum]] = {
    "id_type": IdType,
    "gender": Gender,
    "resident_type": ResidentType,
    "relation": Relation,
    "education": Education,
    "marital_status": MaritalStatus,
    "political_status": PoliticalStatus,
    "inflow_reason": InflowReason,
    "left_behind_kind": LeftBehindKind,
}
TEXT_LIMITS = {
    "name": 64,
    "native_place": 64,
    "hukou_address": 255,
    "religion": 32,
    "occupation": 64,
    "employer": 128,
}


class FieldError(ValueError):
    def __init__(self, field: str, reason: str, reason_zh: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.reason_zh = reason_zh


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = value.strip() if isinstance(value, str) else str(value).strip()
    return text or None


# code name or Chinese label → code name, per field: one dict lookup per cell (an import
# checks tens of millions of cells)
CODE_LOOKUP: dict[str, dict[str, str]] = {
    name: {e.value: e.value for e in enum}
    | {label: code for code, label in LABELS_ZH[enum].items()}
    for name, enum in ENUM_FIELDS.items()
}
ETHNIC = frozenset(ETHNIC_GROUPS)
_TEMPLATE: dict[str, Any] = dict.fromkeys((*ENUM_FIELDS, *TEXT_LIMITS))


def _enum(name: str, value: Any) -> str | None:
    if isinstance(value, StrEnum):
        return value.value
    text = _text(value)
    if text is None:
        return None
    code = CODE_LOOKUP[name].get(text)
    if code is None:
        allowed = ", ".join(e.value for e in ENUM_FIELDS[name])
        raise FieldError(name, f"not one of {allowed}", f"取值无效（可选：{allowed}）")
    return code


def check(
    raw: dict[str, Any], *, today: date | None = None, with_identity: bool = True
) -> dict[str, Any]:
    """Validate and complete one person; raises FieldError at the first problem.

    ``with_identity=False`` checks a correction of a known resident: the ID number is kept
    and so are the gender and birth date it gives.
    """
    # Only the values actually given are looked at: a file row names a dozen of the fields,
    # and an import checks a million rows.
    out = _TEMPLATE.copy()
    for name, value in raw.items():
        if value is None or value == "":
            continue
        if name in ENUM_FIELDS:
            out[name] = _enum(name, value)
        elif name in TEXT_LIMITS:
            text = _text(value)
            if text is not None and len(text) > TEXT_LIMITS[name]:
                limit = TEXT_LIMITS[name]
                raise FieldError(name, f"longer than {limit} characters", f"超过{limit}个字符")
            out[name] = text
    out["id_type"] = out["id_type"] or IdType.citizen_id.value
    out["resident_type"] = out["resident_type"] or ResidentType.registered.value
    out["relation"] = out["relation"] or Relation.other.value
    if out["name"] is None:
        raise FieldError("name", "required", "必填")
    if with_identity:
        _identity(out, raw, today)
    else:
        out["birth_date"] = None if _blank(raw.get("birth_date")) else _date(raw["birth_date"])
    out["ethnicity"] = _text(raw.get("ethnicity"))
    if out["ethnicity"] is not None and out["ethnicity"] not in ETHNIC:
        if out["ethnicity"] + "族" in ETHNIC:
            out["ethnicity"] += "族"
        else:
            raise FieldError("ethnicity", "not an ethnic group of GB 3304", "不是 GB 3304 民族名称")
    out["phone"] = _text(raw.get("phone"))
    if out["phone"] is not None:
        try:
            out["phone"] = parse_phone(out["phone"])
        except Invalid as exc:
            raise FieldError("phone", exc.reason, exc.reason_zh) from exc
    _by_type(out, raw)
    return out


def _identity(out: dict[str, Any], raw: dict[str, Any], today: date | None) -> None:
    number = raw.get("id_number")
    if _blank(number):
        raise FieldError("id_number", "required", "必填")
    number = str(number).strip().upper()
    birth = raw.get("birth_date")
    if out["id_type"] == IdType.citizen_id:
        try:
            cid = parse_citizen_id(number, today=today)
        except Invalid as exc:
            raise FieldError("id_number", exc.reason, exc.reason_zh) from exc
        if out["gender"] is not None and out["gender"] != cid.gender:
            raise FieldError(
                "gender", "does not match the ID number", "与公民身份号码中的性别不一致"
            )
        if not _blank(birth) and _date(birth) != cid.birth_date:
            raise FieldError(
                "birth_date", "does not match the ID number", "与公民身份号码中的出生日期不一致"
            )
        out["id_number"], out["gender"], out["birth_date"] = cid.number, cid.gender, cid.birth_date
        return
    if not _DOCUMENT_RE.match(number):
        raise FieldError("id_number", "5–20 letters and digits", "证件号码应为5–20位字母或数字")
    if out["gender"] is None:
        raise FieldError("gender", "required without a citizen ID", "非居民身份证须填写性别")
    out["id_number"] = number
    out["birth_date"] = None if _blank(birth) else _date(birth)


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip().replace("/", "-"))
    except ValueError as exc:
        raise FieldError(
            "birth_date", "not a date (YYYY-MM-DD)", "日期格式应为 YYYY-MM-DD"
        ) from exc


def _by_type(out: dict[str, Any], raw: dict[str, Any]) -> None:
    kind = out["resident_type"]
    nationality = raw.get("nationality")
    out["nationality"] = None if _blank(nationality) else str(nationality).strip().upper()
    if kind == ResidentType.overseas:
        if out["id_type"] == IdType.citizen_id:
            raise FieldError(
                "id_type", "overseas residents use a passport or permit", "境外人员应使用护照或证件"
            )
        if out["nationality"] is None or not _NATIONALITY_RE.match(out["nationality"]):
            raise FieldError(
                "nationality", "ISO 3166 three-letter code required", "须填写国籍（三位字母代码）"
            )
    elif out["nationality"] is not None:
        raise FieldError("nationality", "only for overseas residents", "仅境外人员填写国籍")
    if kind == ResidentType.left_behind and out["left_behind_kind"] is None:
        raise FieldError(
            "left_behind_kind", "required for left-behind residents", "留守人员须填写类别"
        )
    if kind != ResidentType.left_behind and out["left_behind_kind"] is not None:
        raise FieldError("left_behind_kind", "only for left-behind residents", "仅留守人员填写")
    if kind != ResidentType.migrant and out["inflow_reason"] is not None:
        raise FieldError("inflow_reason", "only for migrants", "仅流动人口填写流入原因")
