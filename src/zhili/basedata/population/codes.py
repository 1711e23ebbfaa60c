"""Code tables of the population fields (GB/T 31000-2015 names the data items; the values
follow the national code standards it cites: GB/T 2261 gender and marital status, GB 3304
ethnic groups, GB/T 4658 education, GB/T 4762 political status).

Each table maps a code name (used in the API and in exports) to its Chinese label; imports
accept either.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)


class ResidentType(StrEnum):
    registered = "registered"  # 户籍人口
    migrant = "migrant"  # 流动人口
    overseas = "overseas"  # 境外人员
    left_behind = "left_behind"  # 留守人员


class IdType(StrEnum):
    citizen_id = "citizen_id"  # 居民身份证
    passport = "passport"  # 护照
    permit = "permit"  # 港澳台居民通行证 / 居住证, 外国人永久居留身份证


class Gender(StrEnum):
    male = "male"
    female = "female"


class Relation(StrEnum):
    head = "head"
    spouse = "spouse"
    child = "child"
    parent = "parent"
    grandchild = "grandchild"
    grandparent = "grandparent"
    sibling = "sibling"
    other = "other"


class MaritalStatus(StrEnum):
    unmarried = "unmarried"
    married = "married"
    widowed = "widowed"
    divorced = "divorced"


class Education(StrEnum):
    postgraduate = "postgraduate"
    bachelor = "bachelor"
    college = "college"
    secondary = "secondary"
    junior = "junior"
    primary = "primary"
    none = "none"


class PoliticalStatus(StrEnum):
    cpc_member = "cpc_member"
    cpc_probationary = "cpc_probationary"
    cyl_member = "cyl_member"
    democratic_party = "democratic_party"
    masses = "masses"


class InflowReason(StrEnum):
    work = "work"
    business = "business"
    study = "study"
    family = "family"
    other = "other"


class LeftBehindKind(StrEnum):
    child = "child"
    elderly = "elderly"
    women = "women"


class SpecialGroup(StrEnum):
    released_prisoner = "released_prisoner"  # 刑满释放人员
    community_correction = "community_correction"  # 社区矫正对象
    severe_mental_disorder = "severe_mental_disorder"  # 严重精神障碍患者
    drug_user = "drug_user"  # 吸毒人员
    key_youth = "key_youth"  # 重点青少年


LABELS_ZH: dict[type[StrEnum], dict[str, str]] = {
    ResidentType: {
        "registered": "户籍人口",
        "migrant": "流动人口",
        "overseas": "境外人员",
        "left_behind": "留守人员",
    },
    IdType: {"citizen_id": "居民身份证", "passport": "护照", "permit": "通行证/居留证"},
    Gender: {"male": "男", "female": "女"},
    Relation: {
        "head": "户主",
        "spouse": "配偶",
        "child": "子女",
        "parent": "父母",
        "grandchild": "孙子女",
        "grandparent": "祖父母",
        "sibling": "兄弟姐妹",
        "other": "其他",
    },
    MaritalStatus: {"unmarried": "未婚", "married": "已婚", "widowed": "丧偶", "divorced": "离婚"},
    Education: {
        "postgraduate": "研究生",
        "bachelor": "大学本科",
        "college": "大学专科",
        "secondary": "高中/中专",
        "junior": "初中",
        "primary": "小学",
        "none": "未上学",
    },
    PoliticalStatus: {
        "cpc_member": "中共党员",
        "cpc_probationary": "中共预备党员",
        "cyl_member": "共青团员",
        "democratic_party": "民主党派",
        "masses": "群众",
    },
    InflowReason: {
        "work": "务工",
        "business": "经商",
        "study": "学习",
        "family": "投亲靠友",
        "other": "其他",
    },
    LeftBehindKind: {"child": "留守儿童", "elderly": "留守老人", "women": "留守妇女"},
    SpecialGroup: {
        "released_prisoner": "刑满释放人员",
        "community_correction": "社区矫正对象",
        "severe_mental_disorder": "严重精神障碍患者",
        "drug_user": "吸毒人员",
        "key_youth": "重点青少年",
    },
}

# GB 3304: the 56 ethnic groups, by their official names.
ETHNIC_GROUPS: tuple[str, ...] = tuple(
    [
        "汉族",
        "蒙古族",
        "回族",
        "藏族",
        "维吾尔族",
        "苗族",
        "彝族",
        "壮族",
        "布依族",
        "朝鲜族",
        "满族",
        "侗族",
        "瑶族",
        "白族",
        "土家族",
        "哈尼族",
        "哈萨克族",
        "傣族",
        "黎族",
        "傈僳族",
        "佤族",
        "畲族",
        "高山族",
        "拉祜族",
        "水族",
        "东乡族",
        "纳西族",
        "景颇族",
        "柯尔克孜族",
        "土族",
        "达斡尔族",
        "仫佬族",
        "羌族",
        "布朗族",
        "撒拉族",
        "毛南族",
        "仡佬族",
        "锡伯族",
        "阿昌族",
        "普米族",
        "塔吉克族",
        "怒族",
        "乌孜别克族",
        "俄罗斯族",
        "鄂温克族",
        "德昂族",
        "保安族",
        "裕固族",
        "京族",
        "塔塔尔族",
        "独龙族",
        "鄂伦春族",
        "赫哲族",
        "门巴族",
        "珞巴族",
        "基诺族",
    ]
)


def label_zh(enum_value: StrEnum) -> str:
    return LABELS_ZH[type(enum_value)][enum_value.value]


def parse_code(enum: type[E], value: str) -> E:
    """A code name (``migrant``) or its Chinese label (``流动人口``); ValueError otherwise."""
    text = value.strip()
    try:
        return enum(text)
    except ValueError:
        for code, label in LABELS_ZH[enum].items():
            if text == label:
                return enum(code)
        raise
