"""The FastAPI application factory. Nothing is created at import time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.middleware.sessions import SessionMiddleware

from zhili import __version__
from zhili.assessment.routes import router as assessment_router
from zhili.basedata.addresses.service import resolve_place
from zhili.basedata.routes import router as basedata_router
from zhili.cases.categories.routes import router as categories_router
from zhili.cases.handling.routes import router as handling_router
from zhili.cases.routes import router as cases_router
from zhili.cases.storage import LocalStorage
from zhili.cases.supervision.routes import router as supervision_router
from zhili.cases.whistles.routes import router as whistles_router
from zhili.core.audit import new_request_id, request_id_var
from zhili.core.config import Settings
from zhili.core.db import make_engine, make_session_factory
from zhili.core.errors import install_error_handlers
from zhili.indices.routes import router as indices_router
from zhili.insight.routes import router as insight_router
from zhili.open311.routes import router as open311_router
from zhili.org.geo import GridIndexCache
from zhili.org.routes import router as org_router
from zhili.org.users.routes import router as users_router
from zhili.web.errors import install_web_error_handlers
from zhili.web.pages import router as web_router
from zhili.web.templating import STATIC_DIR
from zhili.web.warnings import install as install_warning_feed

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(
        title="zhili 治理",
        version=__version__,
        description="市域社会治理平台 API — municipal social governance platform",
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    engine = make_engine(settings)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.storage = LocalStorage(settings.media_root)
    # intake resolves standard-address text through the base-data register (cases cannot
    # import basedata, which builds on cases: the app wires the two together)
    app.state.address_resolver = resolve_place
    app.state.grid_cache = GridIndexCache(
        cells_per_grid=settings.grid_index_cells_per_grid, max_cells=settings.grid_index_max_cells
    )

    @app.middleware("http")
    async def request_id(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        rid = request.headers.get("X-Request-ID") or new_request_id()
        token = request_id_var.set(rid[:64])
        try:
            response = await call_next(request)
        finally:
            request_id_var.reset(token)
        response.headers["X-Request-ID"] = rid[:64]
        return response

    # Web pages log in with a signed cookie (the API uses bearer tokens and ignores it).
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="zhili_session",
        max_age=settings.token_ttl_hours * 3600,
        same_site="lax",
        https_only=settings.environment == "production",
    )
    install_error_handlers(app)
    install_web_error_handlers(app)

    @app.exception_handler(StaleDataError)
    def _stale(request: Request, exc: Exception) -> JSONResponse:
        # Two users acted on the same row at once; the other one's change won.
        return JSONResponse(
            {
                "code": "conflict",
                "message": "changed concurrently by someone else",
                "message_zh": "该记录刚被他人修改，请刷新后重试",
            },
            status_code=409,
        )

    @app.exception_handler(IntegrityError)
    def _integrity(request: Request, exc: Exception) -> JSONResponse:
        # Two requests racing for the same unique value: the loser gets a clear 409.
        return JSONResponse(
            {
                "code": "conflict",
                "message": "conflicting concurrent change",
                "message_zh": "数据冲突（可能已被他人修改），请刷新后重试",
            },
            status_code=409,
        )

    @app.exception_handler(OperationalError)
    def _operational(request: Request, exc: Exception) -> JSONResponse:
        # SQLite: a writer waited busy_timeout for the write lock and gave up (only under a
        # burst beyond what one writer can serve). The request changed nothing: retry later.
        if "database is locked" in str(exc):
            return JSONResponse(
                {
                    "code": "busy",
                    "message": "the database is busy, retry shortly",
                    "message_zh": "系统繁忙，请稍后重试",
                },
                status_code=503,
                headers={"Retry-After": "1"},
            )
        return JSONResponse(
            {"code": "internal", "message": "internal error", "message_zh": "系统内部错误"},
            status_code=500,
        )

    app.include_router(users_router, prefix=API_PREFIX)
    app.include_router(org_router, prefix=API_PREFIX)
    app.include_router(basedata_router, prefix=API_PREFIX)
    for router in (
        categories_router,
        cases_router,
        handling_router,
        whistles_router,
        supervision_router,
        assessment_router,
        indices_router,
        insight_router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(open311_router, prefix="/open311/v2")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(web_router)
    install_warning_feed(app)  # insight's warnings in the dashboard's 研判预警 panel

    return app
