"""The error hierarchy every domain raises, and how HTTP shows it.

    ZhiliError                       base; carries an HTTP status and bilingual messages
    ├── ValidationFailed   422       bad input: names the field and the reason
    ├── Unauthorized       401       no or bad credentials
    ├── Forbidden          403       role or scope does not allow it
    ├── NotFound           404       the entity does not exist (or is outside the scope)
    └── Conflict           409       illegal step or concurrent change; names the current state

Services raise these; routes never catch them: the handlers installed by
``install_error_handlers`` turn them into JSON after the transaction has been rolled back.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


class ZhiliError(Exception):
    status_code = 400
    code = "error"

    def __init__(self, message: str, message_zh: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "message_zh": self.message_zh,
            **self.extra,
        }


class ValidationFailed(ZhiliError):
    status_code = 422
    code = "validation_failed"

    def __init__(self, field: str, message: str, message_zh: str) -> None:
        super().__init__(message, message_zh, field=field)
        self.field = field

    def to_dict(self) -> dict[str, Any]:
        # Same outer shape as FastAPI's own 422s, so clients handle both alike.
        return {
            "code": self.code,
            "detail": [
                {
                    "loc": ["body", *self.field.split(".")],
                    "msg": self.message,
                    "msg_zh": self.message_zh,
                    "type": "value_error",
                }
            ],
        }


class Unauthorized(ZhiliError):
    status_code = 401
    code = "unauthorized"

    def __init__(
        self, message: str = "authentication required", message_zh: str = "请先登录"
    ) -> None:
        super().__init__(message, message_zh)


class Forbidden(ZhiliError):
    status_code = 403
    code = "forbidden"

    def __init__(self, message: str = "not allowed", message_zh: str = "无权执行此操作") -> None:
        super().__init__(message, message_zh)


class NotFound(ZhiliError):
    status_code = 404
    code = "not_found"

    def __init__(self, entity: str, key: object) -> None:
        super().__init__(f"{entity} {key} not found", f"未找到{entity} {key}", entity=entity)


class Conflict(ZhiliError):
    status_code = 409
    code = "conflict"

    def __init__(self, message: str, message_zh: str, *, current_state: str | None = None) -> None:
        super().__init__(message, message_zh, current_state=current_state)


def _zhili_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ZhiliError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
    return JSONResponse(exc.to_dict(), status_code=exc.status_code, headers=headers)


def _request_validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    detail = []
    for err in exc.errors():
        item = {k: err[k] for k in ("loc", "msg", "type") if k in err}
        item["msg_zh"] = "输入不合法：" + str(err.get("msg", ""))
        detail.append(item)
    return JSONResponse({"code": "validation_failed", "detail": detail}, status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ZhiliError, _zhili_error_handler)
    app.add_exception_handler(RequestValidationError, _request_validation_handler)
