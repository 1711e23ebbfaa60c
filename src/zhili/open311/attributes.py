"""Checking ``attribute[code]`` answers against a service definition (GeoReport v2 datatypes).

Clients send ``attribute[code]=value`` and, for a multivaluelist, ``attribute[code][]=v1&
attribute[code][]=v2``. Codes the definition does not know are ignored rather than refused:
FixMyStreet and others add attributes of their own (title, report_url …) to every request.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from zhili.cases.categories.schemas import AttributeIn
from zhili.open311.params import LOCAL_ZONE, InvalidRequest, Problem, parse_w3
from zhili.open311.schemas import w3
from zhili.open311.xml import clean_text

_KEY = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
MAX_STRING = 255
MAX_TEXT = 4000


def collect(fields: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """attribute[code] and attribute[code][] → {code: [non-empty values]}."""
    answers: dict[str, list[str]] = {}
    for name, values in fields.items():
        match = _KEY.match(name)
        if match:
            cleaned = [v.strip() for v in values if v.strip()]
            answers.setdefault(match.group(1), []).extend(cleaned)
    return answers


def _problem(a: AttributeIn, message: str, message_zh: str) -> Problem:
    return Problem(f"attribute[{a.code}]", message, f"{a.description}：{message_zh}")


def _one(a: AttributeIn, raw: list[str]) -> tuple[Any, Problem | None]:
    keys = {v.key for v in a.values}
    if a.datatype == "multivaluelist":
        unknown = [v for v in raw if v not in keys]
        if unknown:
            return None, _problem(a, f"unknown value {unknown[0]!r}", f"无此选项 {unknown[0]}")
        return list(dict.fromkeys(raw)), None
    if len(raw) > 1:
        return None, _problem(a, "takes one value", "只能填写一个值")
    value = raw[0]
    if a.datatype == "singlevaluelist":
        if value not in keys:
            return None, _problem(a, f"unknown value {value!r}", f"无此选项 {value}")
        return value, None
    if a.datatype == "number":
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            return None, _problem(a, "must be a number", "须为数字")
        return int(number) if number.is_integer() and "." not in value else number, None
    if a.datatype == "datetime":
        try:
            return w3(parse_w3(f"attribute[{a.code}]", value, naive_zone=LOCAL_ZONE)), None
        except InvalidRequest:
            return None, _problem(a, "must be an ISO 8601 datetime", "须为 ISO 8601 时间")
    if a.datatype == "string" and ("\n" in value or "\r" in value or len(value) > MAX_STRING):
        return None, _problem(
            a, f"one line of at most {MAX_STRING} characters", f"须为单行且不超过{MAX_STRING}字"
        )
    if len(value) > MAX_TEXT:
        return None, _problem(a, f"at most {MAX_TEXT} characters", f"不超过{MAX_TEXT}字")
    return clean_text(value), None


def validate(
    definition: Sequence[AttributeIn], answers: Mapping[str, list[str]]
) -> tuple[dict[str, Any], list[Problem]]:
    """The answers as stored ({code: value or [values]}) and every problem found."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for a in definition:
        if not a.variable:
            continue  # information for the reporter, nothing to answer
        raw = answers.get(a.code, [])
        if not raw:
            if a.required:
                problems.append(_problem(a, "is required", "为必填项"))
            continue
        value, problem = _one(a, raw)
        if problem is not None:
            problems.append(problem)
        else:
            values[a.code] = value
    return values, problems


def summary(definition: Sequence[AttributeIn], values: Mapping[str, Any]) -> list[str]:
    """The answers as lines the dispatcher reads in the case description."""
    lines = []
    for a in definition:
        if a.code not in values:
            continue
        names = {v.key: v.name for v in a.values}
        value = values[a.code]
        shown = (
            "、".join(names.get(str(v), str(v)) for v in value)
            if isinstance(value, list)
            else names.get(str(value), str(value))
        )
        lines.append(f"【{a.description}】{shown}")
    return lines
