"""Word lists for the demo city: plausible (fictional) place names and Chinese person names.

Everything here draws from a caller-supplied ``numpy.random.Generator`` so a seed always
yields the same names.
"""

from __future__ import annotations

import numpy as np

# First and second characters of two-character place-name stems. Guizhou flavour: 坝, 冲,
# 寨, 堡, 营, 关, 场 are common in local toponyms.
PLACE_FIRST = (
    "东西南北中新金银青白红云花松竹梅兰石龙凤鹤清碧翠太永长福德富丰盛文兴安宁平和泰乐"
    "双高大小阳明华麦朱茶桃杨柳林枫鹿马水沙黔乌百观望宝顺"
)
PLACE_SECOND = (
    "山水湖溪河江桥林园岭坡坝冲寨场堡营关庄湾岩洞阳明华兴安宁平源泉田门台城峰川塘滩坪井亭苑"
)
# Optional third character for community stems, for a little more variety.
COMMUNITY_INFIX = "苑园里湾坊"

DISTRICT_SUFFIX = "区"
COUNTY_SUFFIX = "县"
SUBDISTRICT_SUFFIX = "街道"
TOWN_SUFFIX = "镇"
TOWNSHIP_SUFFIX = "乡"
COMMUNITY_SUFFIX = "社区"
VILLAGE_SUFFIX = "村"

# The hundred most common surnames with their approximate share (%) of the population
# (2020 census order); the rest of the probability mass is spread over the same list.
SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 7.12), ("李", 7.00), ("张", 6.74), ("刘", 5.38), ("陈", 4.53), ("杨", 3.08),
    ("黄", 2.23), ("赵", 2.00), ("吴", 1.95), ("周", 1.87), ("徐", 1.45), ("孙", 1.38),
    ("马", 1.29), ("朱", 1.26), ("胡", 1.16), ("郭", 1.13), ("何", 1.10), ("林", 1.02),
    ("高", 1.01), ("罗", 0.95), ("郑", 0.87), ("梁", 0.85), ("谢", 0.76), ("宋", 0.72),
    ("唐", 0.71), ("许", 0.66), ("韩", 0.65), ("邓", 0.64), ("冯", 0.64), ("曹", 0.62),
    ("彭", 0.61), ("曾", 0.60), ("肖", 0.56), ("田", 0.55), ("董", 0.54), ("潘", 0.52),
    ("袁", 0.52), ("蔡", 0.49), ("蒋", 0.49), ("余", 0.47), ("于", 0.47), ("杜", 0.46),
    ("叶", 0.44), ("程", 0.43), ("魏", 0.42), ("苏", 0.41), ("吕", 0.41), ("丁", 0.41),
    ("任", 0.40), ("卢", 0.39), ("姚", 0.38), ("沈", 0.38), ("钟", 0.36), ("姜", 0.36),
    ("崔", 0.35), ("谭", 0.35), ("陆", 0.34), ("范", 0.33), ("汪", 0.33), ("廖", 0.33),
    ("石", 0.33), ("金", 0.32), ("韦", 0.31), ("贾", 0.30), ("夏", 0.30), ("付", 0.30),
    ("方", 0.29), ("邹", 0.28), ("熊", 0.28), ("白", 0.28), ("孟", 0.27), ("秦", 0.27),
    ("邱", 0.27), ("侯", 0.26), ("江", 0.26), ("尹", 0.25), ("薛", 0.25), ("闫", 0.25),
    ("段", 0.24), ("雷", 0.24), ("龙", 0.23), ("黎", 0.22), ("史", 0.22), ("陶", 0.22),
    ("贺", 0.21), ("毛", 0.20), ("郝", 0.20), ("顾", 0.20), ("龚", 0.19), ("邵", 0.19),
    ("万", 0.18), ("覃", 0.18), ("武", 0.18), ("钱", 0.17), ("戴", 0.17), ("严", 0.17),
    ("莫", 0.16), ("孔", 0.16), ("向", 0.16), ("常", 0.16), ("汤", 0.15),
)  # fmt: skip
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建文斌宇浩凯健俊帆帅旭宁"
    "欣婷雪琳晨颖倩梅莉慧琴云峰波鑫亮海燕佳怡子涵思雨博轩睿嘉泽晓春国志永德成新福荣金林"
)
TWO_CHARACTER_SHARE = 0.3  # share of names with a one-character given name (王伟, 李娜)

_SURNAME_CHARS = tuple(s for s, _ in SURNAMES)
_SURNAME_P = np.array([w for _, w in SURNAMES]) / sum(w for _, w in SURNAMES)


class PlaceNamer:
    """Two- or three-character stems plus a suffix; unique within a caller-given scope."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng

    def stem(self, taken: set[str], *, infix: bool = False) -> str:
        """A new stem not in ``taken`` (which is updated)."""
        rng = self._rng
        for _ in range(1000):
            first = PLACE_FIRST[int(rng.integers(len(PLACE_FIRST)))]
            second = PLACE_SECOND[int(rng.integers(len(PLACE_SECOND)))]
            if first == second:
                continue
            stem = first + second
            if infix and rng.random() < 0.25:
                stem += COMMUNITY_INFIX[int(rng.integers(len(COMMUNITY_INFIX)))]
            if stem not in taken:
                taken.add(stem)
                return stem
        raise ValueError("ran out of distinct place names")  # pragma: no cover

    def name(self, suffix: str, taken: set[str], *, infix: bool = False) -> str:
        return self.stem(taken, infix=infix) + suffix


def grid_name(index: int) -> str:
    """第3网格: grids are numbered within their community."""
    return f"第{index}网格"


def person_names(rng: np.random.Generator, count: int) -> list[str]:
    """``count`` plausible full names (surname + one or two given-name characters)."""
    surnames = rng.choice(len(_SURNAME_CHARS), size=count, p=_SURNAME_P)
    short = rng.random(count) < TWO_CHARACTER_SHARE
    given = rng.integers(len(GIVEN_CHARS), size=(count, 2))
    names: list[str] = []
    for i in range(count):
        surname = _SURNAME_CHARS[int(surnames[i])]
        chars = [GIVEN_CHARS[int(g)] for g in given[i]]
        if short[i] or chars[0] == chars[1]:
            chars = chars[:1]
        names.append(surname + "".join(chars))
    return names


def mobile_numbers(rng: np.random.Generator, count: int, taken: set[str]) -> list[str]:
    """``count`` distinct synthetic 11-digit mobile numbers (13x/15x/18x), not in ``taken``."""
    prefixes = [f"13{d}" for d in range(10)] + [f"15{d}" for d in "012356789"]
    prefixes += [f"18{d}" for d in range(10)]
    numbers: list[str] = []
    while len(numbers) < count:
        prefix = prefixes[int(rng.integers(len(prefixes)))]
        number = f"{prefix}{int(rng.integers(100_000_000)):08d}"
        if number not in taken:
            taken.add(number)
            numbers.append(number)
    return numbers
