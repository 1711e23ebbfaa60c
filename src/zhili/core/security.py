"""Authentication primitives: password hashing, API tokens, roles and permissions.

Who may do what is decided here (the role → permission table); *where* they may do it (the
scope: an org unit and its subtree) is checked by ``zhili.org.access.authorize``, which is
the single place that combines both.
"""

from __future__ import annotations

import hashlib
import secrets
from enum import StrEnum
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


class Role(StrEnum):
    citizen = "citizen"
    gridder = "gridder"
    operator = "operator"
    dispatcher = "dispatcher"
    community = "community"
    street = "street"
    department = "department"
    leader = "leader"
    evaluator = "evaluator"
    admin = "admin"


ROLE_LABELS_ZH: dict[Role, str] = {
    Role.citizen: "群众",
    Role.gridder: "网格员",
    Role.operator: "热线话务员",
    Role.dispatcher: "综治中心调度员",
    Role.community: "社区工作人员",
    Role.street: "街道工作人员",
    Role.department: "部门工作人员",
    Role.leader: "领导",
    Role.evaluator: "第三方测评员",
    Role.admin: "系统管理员",
}


class Permission(StrEnum):
    region_read = "region.read"
    region_write = "region.write"
    department_read = "department.read"
    department_write = "department.write"
    user_read = "user.read"
    user_write = "user.write"
    token_write = "token.write"  # noqa: S105 - a permission name, not a secret
    audit_read = "audit.read"
    personal_data_read = "personal_data.read"  # unmasked phone numbers and ID numbers
    case_read = "case.read"
    case_intake = "case.intake"  # 受理
    case_answer = "case.answer"  # 直接办结
    case_register = "case.register"  # 立案 / 不予立案 / 合并 / 派遣 / 延期审批 / 重办
    case_handle = "case.handle"  # 签收 / 退单 / 申请延期 / 上报 / 处置反馈
    case_verify = "case.verify"  # 核查
    case_visit = "case.visit"  # 回访
    case_supervise = "case.supervise"  # 督办
    case_whistle = "case.whistle"  # 吹哨
    case_report_in = "case.report_in"  # 报到
    category_write = "category.write"
    assessment_read = "assessment.read"
    assessment_adjust = "assessment.adjust"  # propose 加减分
    assessment_approve = "assessment.approve"  # approve 加减分, publish rankings
    basedata_read = "basedata.read"  # 一标三实: addresses, housing, residents, units, visits
    basedata_write = "basedata.write"  # register, correct, delete, import
    basedata_export = "basedata.export"  # bulk exports (masked unless id_number.read)
    basedata_visit = "basedata.visit"  # 上门入户: log household visits
    special_groups_read = "special_groups.read"  # 特殊人群: see and manage them
    id_number_read = "id_number.read"  # unmasked citizen ID numbers (each read logged)
    index_read = "index.read"  # compute composite indices and their uncertainty
    evaluation_manage = "evaluation.manage"  # 测评: catalogues, campaigns, visits, surveys, tasks
    evaluation_read = "evaluation.read"  # 测评结果 and 整改任务 within the reader's scope
    evaluation_submit = "evaluation.submit"  # a unit uploads 印证材料 and reports 整改
    evaluation_review = "evaluation.review"  # a responsible department reviews 印证材料


_STAFF_READ = {Permission.region_read, Permission.department_read, Permission.case_read}
_DISPATCH = {
    Permission.case_intake,
    Permission.case_answer,
    Permission.case_register,
    Permission.case_visit,
    Permission.case_supervise,
    Permission.case_whistle,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.citizen: frozenset({Permission.region_read, Permission.case_intake, Permission.case_read}),
    Role.gridder: frozenset(
        _STAFF_READ | {Permission.case_intake, Permission.case_handle, Permission.case_verify}
    ),
    Role.operator: frozenset(
        _STAFF_READ | {Permission.case_intake, Permission.case_answer, Permission.case_visit}
    ),
    Role.dispatcher: frozenset(
        _STAFF_READ
        | _DISPATCH
        | {
            Permission.user_read,
            Permission.personal_data_read,
            Permission.assessment_read,
            Permission.assessment_adjust,
        }
    ),
    Role.community: frozenset(
        _STAFF_READ
        | {
            Permission.user_read,
            Permission.case_intake,
            Permission.case_handle,
            Permission.case_verify,
        }
    ),
    Role.street: frozenset(
        _STAFF_READ
        | {
            Permission.assessment_read,
            Permission.user_read,
            Permission.case_intake,
            Permission.case_handle,
            Permission.case_verify,
            Permission.case_whistle,
            Permission.case_supervise,
        }
    ),
    Role.department: frozenset(
        _STAFF_READ
        | {
            Permission.case_intake,
            Permission.case_handle,
            Permission.case_report_in,
            Permission.assessment_read,
        }
    ),
    Role.leader: frozenset(
        _STAFF_READ
        | {
            Permission.user_read,
            Permission.case_supervise,
            Permission.assessment_read,
            Permission.assessment_adjust,
            Permission.assessment_approve,
        }
    ),
    Role.evaluator: frozenset(_STAFF_READ | {Permission.assessment_read}),
    Role.admin: frozenset(Permission),
}

# 一标三实 base data. Who needs what (PIPL: the minimum necessary): gridders and communities
# keep the data current in their area; streets, dispatchers and leaders read it; only
# communities see ID numbers unmasked; special groups (released prisoners, community
# corrections, severe mental disorders, drug users, key youth) only for those who follow them.
_BASEDATA: dict[Role, set[Permission]] = {
    Role.gridder: {
        Permission.basedata_read,
        Permission.basedata_write,
        Permission.basedata_visit,
        Permission.special_groups_read,
    },
    Role.community: {
        Permission.basedata_read,
        Permission.basedata_write,
        Permission.basedata_visit,
        Permission.basedata_export,
        Permission.special_groups_read,
        Permission.id_number_read,
    },
    Role.street: {
        Permission.basedata_read,
        Permission.basedata_export,
        Permission.special_groups_read,
    },
    Role.dispatcher: {Permission.basedata_read},
    Role.leader: {Permission.basedata_read},
}
ROLE_PERMISSIONS.update({role: ROLE_PERMISSIONS[role] | extra for role, extra in _BASEDATA.items()})

# Composite indices (社会治理指数, 平安指数) are read by those who steer and evaluate.
ROLE_PERMISSIONS.update(
    {
        role: ROLE_PERMISSIONS[role] | {Permission.index_read}
        for role in (Role.dispatcher, Role.street, Role.leader, Role.evaluator)
    }
)


# Evaluation campaigns (测评): third-party evaluators run them; the evaluated units see their own
# results and answer for them; the responsible departments review the units' evidence.
_EVALUATION: dict[Role, set[Permission]] = {
    Role.evaluator: {
        Permission.evaluation_manage,
        Permission.evaluation_read,
        Permission.evaluation_review,
    },
    Role.leader: {Permission.evaluation_read},
    Role.street: {Permission.evaluation_read, Permission.evaluation_submit},
    Role.community: {Permission.evaluation_read, Permission.evaluation_submit},
    Role.department: {Permission.evaluation_read, Permission.evaluation_review},
}
ROLE_PERMISSIONS.update(
    {role: ROLE_PERMISSIONS[role] | extra for role, extra in _EVALUATION.items()}
)


def role_allows(role: str, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS.get(Role(role), frozenset())


class Actor(Protocol):
    """What the audit log and permission checks need to know about whoever acts."""

    @property
    def id(self) -> int: ...

    @property
    def username(self) -> str: ...

    @property
    def role(self) -> str: ...


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


TOKEN_PREFIX = "zl_"  # noqa: S105 - lets secret scanners recognise leaked zhili tokens


def new_token() -> str:
    """A bearer token: shown once to its owner, only its hash is stored."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    # Tokens are long random strings, so a fast hash is enough (no brute force possible)
    # and lets every request be authenticated with one indexed lookup.
    return hashlib.sha256(token.encode()).hexdigest()


def mask_phone(phone: str | None) -> str | None:
    """138****5678: enough for a caller to recognise their own number, no more."""
    if not phone:
        return phone
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
