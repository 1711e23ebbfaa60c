"""Realistic Chinese case texts for the demo, per leaf category of the shipped catalogue.

A text is put together from slots — who speaks (a hotline operator's summary, a resident's
own words, a gridder's patrol note), the place, what is wrong with what, since when, what it
does to people, and what they want — with colloquialisms and the typos real callers and
operators make. Similar categories share words on purpose (noise from a building site and
noise from a bar, a full bin and rubbish on the ground, a burst pipe and no water at home),
so a classifier trained on the demo has something real to learn and cannot separate every
case by one keyword. Pure data and sampling with a caller-given ``random.Random``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

__all__ = ["CaseText", "case_text", "distinct_phrasings", "topics"]


# code: (what, "|"-separated; what is wrong with it; what it does to people), from texts.yaml.
# Categories an administrator adds later get a generic text built from their name.
@cache
def topics() -> dict[str, tuple[str, str, str]]:
    raw = yaml.safe_load(Path(__file__).with_name("texts.yaml").read_text(encoding="utf-8"))
    return {code: (row["what"], row["wrong"], row["effect"]) for code, row in raw.items()}


# Who speaks, by channel: the operator's summary, the resident's own words, a patrol note.
OPENERS = {
    "hotline": ("市民来电反映：", "来电人反映，", "市民来电称，", "来电人称：", "群众来电：", ""),
    "resident": ("", "你好，", "我要反映个问题，", "请问有人管吗？", "麻烦你们看一下，", "投诉："),
    "patrol": ("网格员巡查发现：", "巡查发现，", "日常巡查中发现", "网格巡查：", ""),
}
PLACES = (
    "附近", "小区门口", "菜市场旁边", "公交站旁", "学校门口", "路口", "楼下", "小区里面",
    "超市门口", "公园旁边", "巷子里", "十字路口东北角", "幼儿园旁边", "地铁口", "医院门口",
    "广场上", "小区后门", "单元楼前", "桥下", "停车场边上",
)  # fmt: skip
SINCE = (
    "", "", "最近", "这几天", "已经一个多星期了，", "从上个月开始", "今天早上", "昨天晚上",
    "每天晚上", "一到周末就", "好长时间了，", "三天了，", "从前天开始",
)  # fmt: skip
ASKS = (
    "希望尽快处理。", "请相关部门管一管。", "多次反映无人处理，希望解决。", "要求给个说法。",
    "请尽快派人来看看。", "希望有关部门重视。", "麻烦尽快解决！", "这个问题到底有没有人管？",
    "请处理。", "希望能给个答复。", "盼复。", "谢谢！", "",
)  # fmt: skip
COLLOQUIAL = ("真的受不了了，", "实在没办法了，", "太气人了，", "说了好几次了，", "唉，", "")
# Typos and homophones as they appear in real transcripts (wrong character, same sound).
TYPOS = (
    ("反映", "反应"), ("已经", "以经"), ("噪音", "燥音"), ("垃圾", "拉圾"), ("在", "再"),
    ("的", "得"), ("清理", "清里"), ("处理", "处里"), ("一直", "一值"), ("希望", "希往"),
)  # fmt: skip
TYPO_SHARE = 0.12
GENERIC = ("情况", "出了问题|有问题|很久没人管", "影响正常生活")
# Neighbouring categories that callers and operators mix up: a report filed under one of them
# is sometimes worded like another (a bar's noise described as construction noise, a full bin
# as rubbish on the ground), and effects are shared within a group.
CONFUSABLE = (
    ("E0301", "E0601", "E0302"),
    ("E0101", "C0301", "E0102", "H1002", "E0103"),
    ("E0402", "H0103", "C0101"),
    ("E0403", "C0104", "H0105"),
    ("E0602", "H0802"),
    ("E0105", "H0701"),
    ("H0702", "E0104"),
    ("C0201", "C0202", "H0104"),
    ("E0501", "E0502", "E0503"),
    ("H0101", "H0102", "C0601"),
    ("H0601", "H0602", "H0302", "H0402"),
    ("C0502", "E0404", "C0501"),
    ("C0205", "E0401", "E0303"),
    ("H0901", "H0902", "H0202"),
)
BORROW_SHARE = 0.10  # worded like a neighbouring category
SHARED_EFFECT_SHARE = 0.35  # an effect taken from the group's common pool
_GROUP = {code: group for group in CONFUSABLE for code in group}


@dataclass(frozen=True, slots=True)
class CaseText:
    title: str
    description: str
    subject: str  # the thing it is about (kept so that a repeat report names the same thing)
    place: str


def case_text(
    rng: random.Random,
    code: str,
    address: str,
    *,
    voice: str = "hotline",
    name: str | None = None,
    like: CaseText | None = None,
) -> CaseText:
    """A title and description for a case of category ``code`` at ``address``.

    ``voice`` is "hotline", "resident" or "patrol"; ``like`` is an earlier report of the same
    problem (a repeat caller names the same thing at the same spot in his own words).
    """
    worded_as = code
    group = _GROUP.get(code)
    if group and like is None and rng.random() < BORROW_SHARE:
        worded_as = rng.choice([c for c in group if c != code])
    subjects, problems, effects = _topic(worded_as, name)
    if group and rng.random() < SHARED_EFFECT_SHARE:
        effects = [e for c in group for e in _topic(c, None)[2]]
    subject = like.subject if like else rng.choice(subjects)
    place = like.place if like else rng.choice(PLACES)
    problem = rng.choice(problems)
    effect = rng.choice(effects)
    opener = rng.choice(OPENERS.get(voice, OPENERS["hotline"]))
    since = rng.choice(SINCE)
    where = f"{address}{place}" if rng.random() < 0.8 else place
    mood = rng.choice(COLLOQUIAL) if voice == "resident" else ""
    if rng.random() < 0.5:
        core = f"{where}的{subject}{since}{problem}"
    else:
        core = f"{since}{where}{subject}{problem}" if since else f"{where}{subject}{problem}"
    parts = [f"{opener}{core}，"]
    if rng.random() < 0.75:
        parts.append(f"{mood}{effect}，")
    others = [e for e in effects if e != effect]
    if others and rng.random() < 0.25:
        parts.append(rng.choice(others) + "，")
    description = "".join(parts).rstrip("，") + "，" + rng.choice(ASKS)
    description = description.rstrip("，")
    if rng.random() < TYPO_SHARE:
        description = _typo(rng, description)
    title = _title(rng, subject, problem, place)
    return CaseText(title=title, description=description, subject=subject, place=place)


def distinct_phrasings(code: str) -> int:
    """How many distinct (subject, problem, effect) cores a category has, before the place,
    time, speaker, request and typo slots multiply them."""
    subjects, problems, effects = _topic(code, None)
    return len(subjects) * len(problems) * len(effects)


def _topic(code: str, name: str | None) -> tuple[list[str], list[str], list[str]]:
    raw = topics().get(code)
    if raw is None:
        raw = (name or GENERIC[0], GENERIC[1], GENERIC[2])
    subjects, problems, effects = (part.split("|") for part in raw)
    return subjects, problems, effects


def _title(rng: random.Random, subject: str, problem: str, place: str) -> str:
    # Operators write short summaries: "反映路灯不亮", "小区门口垃圾堆积".
    short = problem.split("，")[0]
    style = rng.random()
    if style < 0.4:
        title = f"{subject}{short}"
    elif style < 0.7:
        title = f"反映{subject}{short}"
    elif style < 0.85:
        title = f"{place}{subject}{short}"
    else:
        title = f"关于{subject}的问题"
    return title[:40]


def _typo(rng: random.Random, text: str) -> str:
    present = [(a, b) for a, b in TYPOS if a in text]
    if not present:
        return text
    a, b = rng.choice(present)
    return text.replace(a, b, 1)
