"""How errors look on pages: Chinese messages in the page, never a JSON body or a 500.

API paths keep the JSON handlers of ``zhili.core.errors``; every other path gets HTML.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from zhili.core.errors import NotFound, ValidationFailed, ZhiliError
from zhili.web.deps import CsrfFailed, LoginRequired
from zhili.web.templating import flash, render

API_PREFIXES = ("/api/", "/open311/", "/docs", "/openapi.json", "/healthz")

# Field names as people read them in forms.
FIELD_LABELS_ZH = {
    "title": "标题",
    "description": "问题描述",
    "reporter_phone": "联系电话",
    "reporter_name": "姓名",
    "lon": "位置",
    "lat": "位置",
    "address": "地址",
    "reason": "理由",
    "result": "处置结果",
    "note": "说明",
    "days": "延期天数",
    "departments": "部门",
    "number": "案件编号",
    "category_id": "案件类别",
    "satisfaction": "满意程度",
    "resolved": "是否解决",
    "comment": "评价内容",
    "file": "附件",
    "department_id": "部门",
    "region_id": "区域",
    "into_case_id": "合并到的案件",
    "household_id": "住户",
    "findings": "走访情况",
    "target": "承办单位",
}
ENTITY_ZH = {"case": "案件", "user": "用户", "whistle": "吹哨事项", "region": "区域"}

_PYDANTIC_ZH = {
    "string_too_short": "内容太短",
    "string_too_long": "内容太长",
    "missing": "必须填写",
    "int_parsing": "须为整数",
    "float_parsing": "须为数字",
    "greater_than_equal": "数值太小",
    "less_than_equal": "数值太大",
    "enum": "取值不在可选范围内",
    "too_short": "至少选择一项",
}


# The schemas' own checks speak English; these are the ones a form can meet.
_MODEL_MSG_ZH = {
    "reporter_phone must be": "须为11位手机号或固定电话",
    "lon and lat come together": "经度和纬度须同时提供",
    "an anonymous report carries no name or phone": "匿名反映不能填写姓名或电话",
    "a case is either answered or resolved": "直接办结与自行处置只能选一项",
    "give exactly one of department_id or region_id": "请选择一个承办单位",
    "exactly one department leads": "须指定且只指定一个主办部门",
    "a department is summoned once": "同一部门只能召集一次",
}


def is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIXES)


def describe(exc: ZhiliError | ValidationError | RequestValidationError) -> list[str]:
    """Chinese sentences for an error of a service or of form parsing."""
    if isinstance(exc, ValidationFailed):
        label = FIELD_LABELS_ZH.get(exc.field.split(".")[-1], exc.field)
        return [f"{label}：{exc.message_zh}"]
    if isinstance(exc, NotFound):
        entity = str(exc.extra.get("entity", ""))
        return [f"未找到该{ENTITY_ZH.get(entity, '记录')}，请核对编号"]
    if isinstance(exc, ZhiliError):
        return [exc.message_zh]
    out = []
    for err in exc.errors():
        loc = [str(x) for x in err.get("loc", ()) if x not in ("body", "query", "form")]
        label = FIELD_LABELS_ZH.get(loc[-1], loc[-1]) if loc else "输入"
        reason = _PYDANTIC_ZH.get(str(err.get("type")), "")
        if not reason:
            msg = str(err.get("msg", "")).removeprefix("Value error, ")
            known = [zh for en, zh in _MODEL_MSG_ZH.items() if msg.startswith(en)]
            # an unforeseen check keeps its English reason, inside a Chinese sentence
            reason = known[0] if known else f"输入不合法（{msg}）"
        out.append(f"{label}：{reason}")
    return out


def fail_back(
    request: Request, session: Session, exc: ZhiliError | ValidationError, back: str
) -> Response:
    """After a refused action: undo anything flushed, say why, and go back (303)."""
    session.rollback()
    for message in describe(exc):
        flash(request, message, "error")
    return RedirectResponse(back, status_code=303)


def install_web_error_handlers(app: FastAPI) -> None:
    json_zhili = app.exception_handlers[ZhiliError]
    json_validation = app.exception_handlers[RequestValidationError]
    json_http = app.exception_handlers.get(StarletteHTTPException)

    def _page(request: Request, status: int, messages: list[str]) -> Response:
        return render(
            request,
            "error.html",
            {"status": status, "errors": messages},
            status_code=status,
        )

    async def zhili_error(request: Request, exc: Exception) -> Response:
        if is_api(request):
            return await _call(json_zhili, request, exc)
        assert isinstance(exc, ZhiliError)
        if exc.status_code == 401:
            return RedirectResponse("/login?next=" + quote(request.url.path), status_code=303)
        return _page(request, exc.status_code, describe(exc))

    async def validation_error(request: Request, exc: Exception) -> Response:
        if is_api(request):
            return await _call(json_validation, request, exc)
        assert isinstance(exc, RequestValidationError)
        return _page(request, 422, describe(exc))

    async def http_error(request: Request, exc: Exception) -> Response:
        if is_api(request) or json_http is None:
            assert json_http is not None
            return await _call(json_http, request, exc)
        assert isinstance(exc, StarletteHTTPException)
        text = {404: "页面不存在", 405: "不支持的请求方式"}.get(exc.status_code, "请求有误")
        return _page(request, exc.status_code, [text])

    def login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        if request.headers.get("HX-Request"):
            # HTMX would swap the login page into a fragment: ask it to navigate instead.
            return Response(status_code=204, headers={"HX-Redirect": "/login"})
        return RedirectResponse("/login?next=" + quote(exc.next_path, safe="/?=&"), 303)

    def csrf_failed(request: Request, exc: Exception) -> Response:
        return _page(request, 403, ["页面已过期或请求来源不明（CSRF 校验失败），请刷新页面后重试"])

    app.add_exception_handler(ZhiliError, zhili_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(CsrfFailed, csrf_failed)


async def _call(handler: object, request: Request, exc: Exception) -> Response:
    result = handler(request, exc)  # type: ignore[operator]
    if hasattr(result, "__await__"):
        result = await result
    assert isinstance(result, Response)
    return result
