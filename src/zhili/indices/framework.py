"""An indicator framework, validated: a tree of aggregates over indicators plus the pipeline.

``load`` reads YAML (or an Excel workbook, see ``excel.py``) and ``build`` checks what the
schema alone cannot: one index at the top, every parent present and an aggregate, no cycles,
no empty aggregates, AHP matrices that fit their node and are consistent (CR < 0.1), and the
per-indicator settings the chosen normalisation needs. Every problem is a 422 whose field
names the place (``aggregates.2.parent``) and whose message names the codes involved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from zhili.core.errors import ValidationFailed
from zhili.indices import excel
from zhili.indices import weights as wt
from zhili.indices.spec import (
    AggregateMethod,
    AggregateNodeSpec,
    FrameworkSpec,
    IndicatorSpec,
    WeightsSpec,
)

SHIPPED_DIR = Path(__file__).parent / "frameworks"
_POSITIVE_ONLY = {"geometric", "harmonic"}


@dataclass(frozen=True)
class Framework:
    spec: FrameworkSpec
    root: str
    children: Mapping[str, tuple[str, ...]]  # aggregate → children (aggregates, then indicators)
    order: tuple[str, ...]  # aggregates, every child before its parent; the root last

    @property
    def name(self) -> str:
        return self.spec.name

    @cached_property
    def indicators(self) -> tuple[IndicatorSpec, ...]:
        return tuple(self.spec.indicators)

    @cached_property
    def leaf_index(self) -> dict[str, int]:
        return {ind.code: j for j, ind in enumerate(self.spec.indicators)}

    @cached_property
    def aggregates(self) -> dict[str, AggregateNodeSpec]:
        return {a.code: a for a in self.spec.aggregates}

    def weights_spec(self, code: str) -> WeightsSpec:
        return self.aggregates[code].weights or self.spec.pipeline.weights

    def aggregate_method(self, code: str) -> AggregateMethod:
        return self.aggregates[code].aggregate or self.spec.pipeline.aggregate.method

    def node_weight(self, code: str) -> float:
        if code in self.leaf_index:
            return self.spec.indicators[self.leaf_index[code]].weight
        return self.aggregates[code].weight

    def parent(self, code: str) -> str | None:
        if code in self.leaf_index:
            return self.spec.indicators[self.leaf_index[code]].parent
        return self.aggregates[code].parent

    def depth(self, code: str) -> int:
        """0 for the index, 1 for its children, …"""
        d, p = 0, self.parent(code)
        while p is not None:
            d, p = d + 1, self.parent(p)
        return d

    def field_of(self, code: str) -> str:
        """Where a node is written in the framework file, for error messages."""
        if code in self.leaf_index:
            return f"indicators.{self.leaf_index[code]}"
        return f"aggregates.{list(self.aggregates).index(code)}"


def _pydantic_error(exc: ValidationError, prefix: str = "") -> ValidationFailed:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in (*([prefix] if prefix else []), *first["loc"]))
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return ValidationFailed(
        field or "framework",
        f"{field}: {first['msg']}{more}",
        f"指标体系定义有误（{field}）：{first['msg']}",
    )


def parse(data: Any) -> Framework:
    """Validate a framework given as plain data (the YAML document)."""
    if not isinstance(data, dict):
        raise ValidationFailed("framework", "a framework is a mapping", "指标体系须为键值结构")
    try:
        spec = FrameworkSpec.model_validate(data)
    except ValidationError as exc:
        raise _pydantic_error(exc) from exc
    return build(spec)


def build(spec: FrameworkSpec) -> Framework:
    aggregates = {a.code: a for a in spec.aggregates}
    seen: dict[str, str] = {}
    groups: list[tuple[str, Sequence[AggregateNodeSpec | IndicatorSpec]]] = [
        ("aggregates", spec.aggregates),
        ("indicators", spec.indicators),
    ]
    for kind, nodes in groups:
        for i, node in enumerate(nodes):
            if node.code in seen:
                raise ValidationFailed(
                    f"{kind}.{i}.code",
                    f"duplicate code {node.code} (also at {seen[node.code]})",
                    f"代码 {node.code} 重复",
                )
            seen[node.code] = f"{kind}.{i}"
    roots = [a.code for a in spec.aggregates if a.parent is None]
    if len(roots) != 1:
        raise ValidationFailed(
            "aggregates",
            "exactly one aggregate must have no parent (the index); "
            + (f"found {len(roots)}: {', '.join(roots)}" if roots else "found none"),
            "须有且仅有一个无上级的汇总项（总指数）",
        )
    children: dict[str, list[str]] = {a.code: [] for a in spec.aggregates}
    for kind, nodes in groups:
        for i, node in enumerate(nodes):
            if node.parent is None:
                continue
            if node.parent not in aggregates:
                what = "an indicator" if node.parent in seen else "missing"
                raise ValidationFailed(
                    f"{kind}.{i}.parent",
                    f"parent {node.parent} of {node.code} is {what}; a parent must be one of the "
                    "aggregates",
                    f"{node.code} 的上级 {node.parent} 不存在或不是汇总项",
                )
            children[node.parent].append(node.code)
    _check_cycles(aggregates)
    for i, a in enumerate(spec.aggregates):
        if not children[a.code]:
            raise ValidationFailed(
                f"aggregates.{i}",
                f"aggregate {a.code} has nothing under it",
                f"汇总项 {a.code} 下没有任何指标",
            )
    fw = Framework(spec, roots[0], {k: tuple(v) for k, v in children.items()}, _order(children))
    _check_methods(fw)
    return fw


def _check_cycles(aggregates: Mapping[str, AggregateNodeSpec]) -> None:
    for start in aggregates:
        path = [start]
        parent = aggregates[start].parent
        while parent is not None:
            if parent in path:
                cycle = [*path[path.index(parent) :], parent]
                i = list(aggregates).index(start)
                raise ValidationFailed(
                    f"aggregates.{i}.parent",
                    "the hierarchy has a cycle: " + " → ".join(cycle),
                    "层级存在循环：" + " → ".join(cycle),
                )
            path.append(parent)
            parent = aggregates[parent].parent


def _order(children: Mapping[str, list[str]]) -> tuple[str, ...]:
    out: list[str] = []

    def visit(code: str) -> None:
        for child in children.get(code, ()):
            if child in children:
                visit(child)
        out.append(code)

    root = next(c for c in children if all(c not in v for v in children.values()))
    visit(root)
    return tuple(out)


def _check_methods(fw: Framework) -> None:
    pipe = fw.spec.pipeline
    for i, ind in enumerate(fw.indicators):
        if pipe.normalise.method == "distance_to_target" and not ind.target:
            raise ValidationFailed(
                f"indicators.{i}.target",
                f"{ind.code} needs a non-zero target for distance_to_target normalisation",
                f"{ind.code} 缺少目标值（目标距离法需要）",
            )
        if pipe.normalise.method == "goalposts" and ind.goalposts is None:
            raise ValidationFailed(
                f"indicators.{i}.goalposts",
                f"{ind.code} needs goalposts: [low, high] for goalposts normalisation",
                f"{ind.code} 缺少上下限（阈值法需要）",
            )
    if pipe.impute.method.startswith("group_") is False and fw.spec.uncertainty:
        alt = [m for m in fw.spec.uncertainty.impute if m.startswith("group_")]
        if alt and not pipe.impute.group:
            raise ValidationFailed(
                "uncertainty.impute",
                f"{alt[0]} needs pipeline.impute.group to name the group column",
                "分组插补须指定分组列",
            )
    positive = {fw.aggregate_method(a) for a in fw.order} & _POSITIVE_ONLY
    normalisers = {pipe.normalise.method}
    if fw.spec.uncertainty:
        positive |= set(fw.spec.uncertainty.aggregate) & _POSITIVE_ONLY
        normalisers |= set(fw.spec.uncertainty.normalise)
    if positive and "zscore" in normalisers:
        raise ValidationFailed(
            "pipeline.normalise",
            f"{sorted(positive)[0]} aggregation needs positive values; z-scores are centred on 0 "
            "(use minmax, rank, percentile, goalposts or distance_to_target)",
            "几何/调和平均要求正值，不能与 z-score 标准化同用",
        )
    for i, a in enumerate(fw.spec.aggregates):
        kids = fw.children[a.code]
        if fw.weights_spec(a.code).method == "ahp" and len(kids) > 1 and a.ahp is None:
            raise ValidationFailed(
                f"aggregates.{i}.ahp",
                f"{a.code} is weighted by AHP but has no ahp pairwise matrix",
                f"{a.code} 采用层次分析法赋权，但缺少判断矩阵",
            )
        if a.ahp is not None:
            if len(a.ahp) != len(kids) or any(len(row) != len(kids) for row in a.ahp):
                raise ValidationFailed(
                    f"aggregates.{i}.ahp",
                    f"the ahp matrix of {a.code} must be {len(kids)}×{len(kids)}, rows and "
                    f"columns in this order: {', '.join(kids)}",
                    f"{a.code} 的判断矩阵须为 {len(kids)} 阶，顺序：{'、'.join(kids)}",
                )
            wt.ahp(a.ahp, field=f"aggregates.{i}.ahp")  # raises on CR ≥ 0.1


def check_columns(fw: Framework, columns: Iterable[str]) -> None:
    """Every column the framework reads must be in the data."""
    have = set(columns)
    pipe = fw.spec.pipeline
    for i, ind in enumerate(fw.indicators):
        needed = [("column", ind.data_column)]
        if pipe.denominate and ind.denominator:
            needed.append(("denominator", ind.denominator))
        for key, col in needed:
            if col not in have:
                raise ValidationFailed(
                    f"indicators.{i}.{key}",
                    f"unknown column {col} (for indicator {ind.code}): the data has no such column",
                    f"数据中没有指标 {ind.code} 所需的列 {col}",
                )
    groups = {pipe.impute.group} if pipe.impute.group else set()
    for col in groups - have:
        raise ValidationFailed(
            "pipeline.impute.group",
            f"unknown column {col}: the data has no such group column",
            f"数据中没有分组列 {col}",
        )


def load_text(text: str) -> Framework:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ValidationFailed(
            "framework", f"not valid YAML{where}: {exc}", f"YAML 格式错误{where}"
        ) from exc
    return parse(data)


def shipped() -> dict[str, Path]:
    """The example frameworks that come with zhili, by file stem."""
    return {p.stem: p for p in sorted(SHIPPED_DIR.glob("*.yaml"))}


def load(path_or_name: str | Path) -> Framework:
    """A framework from a YAML file, an Excel workbook, or the name of a shipped one."""
    known = shipped()
    if str(path_or_name) in known:
        return load_text(known[str(path_or_name)].read_text(encoding="utf-8"))
    path = Path(path_or_name)
    if not path.exists():
        raise ValidationFailed(
            "framework",
            f"{path} does not exist (shipped frameworks: {', '.join(known)})",
            f"找不到指标体系文件 {path}",
        )
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return parse(excel.framework_data(path))
    return load_text(path.read_text(encoding="utf-8"))
