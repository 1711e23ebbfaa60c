"""Free-text Chinese addresses → standard addresses, on SQLite and PostgreSQL alike.

People write the same place many ways: "人民路十八号3幢2单元501", "人民路18号3-2-501",
"阳光花园3栋501室". Text is first normalised (full-width → half-width, Chinese numerals before
a unit word → digits, 幢/座/号楼 → 栋, "3-2-501" → 3栋2单元501室), then cut into tokens:

- number tokens: digits with the word that gives them meaning (``18号``, ``3栋``, ``2单元``,
  ``501室``); they must match exactly, 18号 is not 81号;
- bigrams of Han characters (``人民``, ``民路``): a typo costs two bigrams, not the match.

Candidates come from the inverted index (``std_address_token``) using the query's rarest
tokens, then every candidate is scored in Python: an F-measure weighted towards recall (how
much of the query the address explains) with number tokens counting double, so a door plate
outranks its rooms when no room was asked for, and a wrong room number costs more than a
missing district name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CN_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
_UNIT_WORDS = "号|栋|单元|室|组|层|楼"
_CN_NUMBER = re.compile(rf"([零〇一二两三四五六七八九十百]+)({_UNIT_WORDS})")
_SHORTHAND = re.compile(r"(\d+)-(\d+)-(\d+)(?!\d)")  # 3-2-501 → 3栋2单元501室
_BUILDING_WORDS = re.compile(r"(\d+)(?:幢|座|号楼)")
_DROP = re.compile(r"[\s,，.。;；:：()（）\[\]【】'\"“”‘’_·、/\\]+")
_TRAILING_ROOM = re.compile(r"(\d+单元|\d+栋)(\d{3,4})$")  # "2单元501" ends with a room
NUMBER_TOKEN = re.compile(rf"\d+[A-Za-z]?(?:{_UNIT_WORDS})?")
_HAN = re.compile(r"[\u4e00-\u9fff]+")
NUMBER_WEIGHT = 2.0
RECALL_BETA2 = 4.0  # β² of the F-measure: recall counts four times as much as precision


def _cn_to_int(text: str) -> int:
    """十八 → 18, 二十 → 20, 一百零五 → 105, 五零一 → 501 (digit by digit)."""
    if "十" not in text and "百" not in text:
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    total, current = 0, 0
    for char in text:
        if char == "百":
            total += (current or 1) * 100
            current = 0
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _CN_DIGITS[char]
    return total + current


def normalise(text: str) -> str:
    """The canonical spelling of an address text; stored as ``search_text``."""
    out = unicodedata.normalize("NFKC", text).upper()
    out = _CN_NUMBER.sub(lambda m: f"{_cn_to_int(m.group(1))}{m.group(2)}", out)
    out = _SHORTHAND.sub(r"\1栋\2单元\3室", out)
    out = _BUILDING_WORDS.sub(r"\1栋", out)
    out = out.replace("号房", "室")
    out = _DROP.sub("", out).replace("-", "")
    return _TRAILING_ROOM.sub(r"\1\2室", out)


def tokens(normalised: str) -> list[str]:
    """Number tokens and Han bigrams of a normalised text, in order, repeats removed."""
    found: list[str] = [m.group(0) for m in NUMBER_TOKEN.finditer(normalised)]
    rest = NUMBER_TOKEN.sub(" ", normalised)
    for run in _HAN.findall(rest):
        if len(run) == 1:
            found.append(run)
        found.extend(run[i : i + 2] for i in range(len(run) - 1))
    return list(dict.fromkeys(found))


def is_number(token: str) -> bool:
    return token[0].isdigit()


def weight(token: str) -> float:
    return NUMBER_WEIGHT if is_number(token) else 1.0


@dataclass(frozen=True, slots=True)
class Scored:
    address_id: int
    score: float


def score(query: Iterable[str], own: Iterable[str], context: Iterable[str]) -> float:
    """How well an address (its own tokens + its region names' tokens) matches a query.

    Recall is over the query (district and street names count when the query gives them);
    precision is over the address's own tokens only, since nobody writes the community name.
    A number token of the query that the address contradicts (501室 asked, 502室 found)
    halves the score.
    """
    q, a, ctx = set(query), set(own), set(context)
    if not q or not a:
        return 0.0
    total_q = sum(weight(t) for t in q)
    recall = sum(weight(t) for t in q if t in a or t in ctx) / total_q
    precision = sum(weight(t) for t in a if t in q) / sum(weight(t) for t in a)
    if recall == 0 or precision == 0:
        return 0.0
    f = (1 + RECALL_BETA2) * precision * recall / (RECALL_BETA2 * precision + recall)
    asked = {_suffix(t): t for t in q if is_number(t)}
    for t in a:
        if is_number(t) and _suffix(t) in asked and asked[_suffix(t)] != t and t not in q:
            f *= 0.5
    return round(f, 4)


def _suffix(token: str) -> str:
    return token.lstrip("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
