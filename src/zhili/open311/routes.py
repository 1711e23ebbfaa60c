"""Open311 GeoReport v2 over HTTP (mounted at /open311/v2), with FixMyStreet's updates.

Every resource answers in XML or JSON as its suffix asks; errors too, in the spec's
``<errors>`` document: 400 bad input, 403 bad api_key, 404 unknown service, request,
token or jurisdiction. The session dependency still commits or rolls back around each call:
errors are rendered only after the rollback (see ``Open311Route``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send

from zhili.cases.categories.models import Category
from zhili.core.errors import NotFound, ValidationFailed, ZhiliError
from zhili.open311 import queries, service
from zhili.open311.forms import first
from zhili.open311.params import InvalidRequest, comma_list, given, invalid, page, window
from zhili.open311.schemas import (
    CreatedOut,
    DiscoveryOut,
    EndpointOut,
    UpdateCreatedOut,
)
from zhili.open311.xml import Format, plain, render, render_errors
from zhili.org.deps import GridCacheDep, SessionDep, SettingsDep

# When this API's shape last changed (discovery's changeset).
CHANGESET = datetime(2026, 11, 23, tzinfo=UTC)


def _format_of(request: Request) -> Format:
    return _format_of_path(request.url.path)


def _format_of_path(path: str) -> Format:
    return Format.json if path.endswith(".json") else Format.xml


def _describe(exc: ZhiliError) -> list[str]:
    if isinstance(exc, InvalidRequest):
        return [p.describe() for p in exc.problems]
    if isinstance(exc, ValidationFailed):
        return [f"{exc.field}: {exc.message} ({exc.message_zh})"]
    return [f"{exc.message} ({exc.message_zh})"]


def _zhili_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ZhiliError)
    # GeoReport speaks 400 for any bad input and 403 for a bad or missing api_key.
    status = {422: 400, 401: 403}.get(exc.status_code, exc.status_code)
    return render_errors(_format_of(request), status, _describe(exc))


def _request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    described = [
        f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg', '')}"
        for e in exc.errors()
    ]
    return render_errors(_format_of(request), 400, described or ["bad request"])


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return render_errors(_format_of(request), exc.status_code, [str(exc.detail)])


def _integrity(request: Request, exc: Exception) -> Response:
    return render_errors(
        _format_of(request), 409, ["conflicting concurrent change (数据冲突，请重试)"]
    )


_HANDLERS: dict[Any, Callable[[Request, Exception], Response]] = {
    ZhiliError: _zhili_error,
    RequestValidationError: _request_validation,
    HTTPException: _http_error,
    IntegrityError: _integrity,
}


class Open311Route(APIRoute):
    """A route whose errors come out as GeoReport error documents.

    The app's handlers would answer zhili errors in zhili's JSON. This route puts its own
    handlers in their place for its requests only; Starlette calls them outside the
    dependencies' exit, so the session has rolled back before the error is written.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.methods and scope["method"] not in self.methods:
            # Starlette would answer 405 in plain JSON from outside the route
            response = render_errors(
                _format_of_path(scope["path"]), 405, [f"method {scope['method']} not allowed"]
            )
            response.headers["Allow"] = _allowed(self.path)
            await response(scope, receive, send)
            return
        handlers, _ = scope.get("starlette.exception_handlers", ({}, {}))
        scope["starlette.exception_handlers"] = ({**handlers, **_HANDLERS}, {})
        await super().handle(scope, receive, send)


router = APIRouter(tags=["open311"], route_class=Open311Route)


def _allowed(path: str) -> str:
    """Every method the path answers (GET and POST live on separate routes)."""
    routes = [r for r in router.routes if isinstance(r, APIRoute) and r.path == path]
    return ", ".join(sorted({m for r in routes for m in r.methods or ()}))


def get_format(fmt: str) -> Format:
    if fmt not in (Format.xml, Format.json):
        raise invalid("format", "use .xml or .json", "格式须为 .xml 或 .json")
    return Format(fmt)


async def get_fields(request: Request) -> dict[str, list[str]]:
    """The form (url-encoded or multipart) over the query string: some clients send the
    api_key in the URL. Files are not taken: media come as ``media_url``."""
    fields = {key: request.query_params.getlist(key) for key in request.query_params}
    form = await request.form()
    for key in form:
        fields[key] = [v for v in form.getlist(key) if isinstance(v, str)]
    return fields


FormatDep = Annotated[Format, Depends(get_format)]
FieldsDep = Annotated[dict[str, list[str]], Depends(get_fields)]
Jurisdiction = Annotated[str | None, Query(description="optional; the city's region code")]
Listed = Annotated[list[str] | None, Query(description="comma-separated or repeated")]


def _joined(values: Sequence[str] | None) -> list[str]:
    return comma_list(",".join(values or []))


@router.get("/discovery.{fmt}")
def discovery(
    fmt: FormatDep, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    path = request.url.path
    base = str(request.url.replace(path=path[: path.rindex("/discovery.")], query=""))
    city = queries.city(session)
    doc = DiscoveryOut(
        changeset=CHANGESET,
        contact=f"{city.name if city else ''}社会治理指挥中心 (governance centre) · zhili",
        key_service="API 密钥由平台管理员签发 (ask the platform administrator for an api_key)",
        endpoints=[
            EndpointOut(
                url=base,
                changeset=CHANGESET,
                type="production" if settings.environment == "production" else "test",
            )
        ],
    )
    return render(fmt, "discovery", plain(doc))


@router.get("/services.{fmt}")
def services(fmt: FormatDep, session: SessionDep, jurisdiction_id: Jurisdiction = None) -> Response:
    queries.check_jurisdiction(session, given(jurisdiction_id))
    return render(fmt, "services", plain(queries.list_services(session)))


@router.get("/services/{service_code}.{fmt}")
def service_definition(
    service_code: str, fmt: FormatDep, session: SessionDep, jurisdiction_id: Jurisdiction = None
) -> Response:
    queries.check_jurisdiction(session, given(jurisdiction_id))
    return render(fmt, "service_definition", plain(queries.definition(session, service_code)))


@router.post("/requests.{fmt}")
def create_request(
    fmt: FormatDep,
    session: SessionDep,
    cache: GridCacheDep,
    fields: FieldsDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Response:
    queries.check_jurisdiction(session, first(fields, "jurisdiction_id"))
    client, actor = service.authenticate(session, first(fields, "api_key"))
    row, case = service.submit_request(
        session,
        actor=actor,
        client=client,
        cache=cache,
        fields=fields,
        idempotency_key=idempotency_key,
    )
    category = session.get(Category, case.category_id)
    notice = f"已受理，待立案派遣；{queries.service_notice(category)}" if category else None
    created = CreatedOut(
        service_request_id=None if row.token else case.number,
        token=row.token,
        service_notice=notice,
        account_id=row.account_id,
    )
    # the spec: a token or a service_request_id, never both
    exclude = {"service_request_id"} if row.token else {"token"}
    return render(fmt, "service_requests", [plain(created, exclude=exclude)])


@router.get("/requests.{fmt}")
def list_requests(
    fmt: FormatDep,
    session: SessionDep,
    jurisdiction_id: Jurisdiction = None,
    service_request_id: Listed = None,
    service_code: Listed = None,
    status: Listed = None,
    start_date: str | None = None,
    end_date: str | None = None,
    page_: Annotated[str | None, Query(alias="page")] = None,
    page_size: str | None = None,
) -> Response:
    queries.check_jurisdiction(session, given(jurisdiction_id))
    numbers, statuses = _joined(service_request_id), _joined(status)
    problems = [s for s in statuses if s not in ("open", "closed")]
    if problems:
        raise invalid("status", f"unknown status {problems[0]}", "状态只能是 open 或 closed")
    filters = queries.RequestFilter(numbers=numbers[:1000])
    if not numbers:
        start, end = window(start_date, end_date)
        filters = queries.RequestFilter(
            service_codes=_joined(service_code),
            states=queries.states_for(statuses),
            start=start,
            end=end,
        )
    rows = queries.list_requests(session, filters=filters, page=page(page_, page_size))
    return render(fmt, "service_requests", plain(rows))


@router.get("/requests/{service_request_id}.{fmt}")
def get_request(
    service_request_id: str,
    fmt: FormatDep,
    session: SessionDep,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    queries.check_jurisdiction(session, given(jurisdiction_id))
    return render(
        fmt, "service_requests", plain([queries.get_request(session, service_request_id)])
    )


@router.get("/tokens/{token}.{fmt}")
def get_token(
    token: str, fmt: FormatDep, session: SessionDep, jurisdiction_id: Jurisdiction = None
) -> Response:
    queries.check_jurisdiction(session, given(jurisdiction_id))
    return render(fmt, "service_requests", plain([queries.resolve_token(session, token)]))


@router.get("/servicerequestupdates.{fmt}")
def list_updates(
    fmt: FormatDep,
    session: SessionDep,
    jurisdiction_id: Jurisdiction = None,
    start_date: str | None = None,
    end_date: str | None = None,
    page_: Annotated[str | None, Query(alias="page")] = None,
    page_size: str | None = None,
) -> Response:
    queries.check_jurisdiction(session, given(jurisdiction_id))
    start, end = window(start_date, end_date)
    rows = queries.list_updates(session, start=start, end=end, page=page(page_, page_size))
    return render(fmt, "service_request_updates", plain(rows))


@router.post("/servicerequestupdates.{fmt}")
def create_update(fmt: FormatDep, session: SessionDep, fields: FieldsDep) -> Response:
    queries.check_jurisdiction(session, first(fields, "jurisdiction_id"))
    client, actor = service.authenticate(session, first(fields, "api_key"))
    row = service.post_update(session, actor=actor, client=client, fields=fields)
    # "c" keeps client updates apart from the case steps, whose update_ids are plain numbers
    created = UpdateCreatedOut(update_id=f"c{row.id}")
    return render(fmt, "service_request_updates", [plain(created)])


@router.api_route("/{path:path}", methods=["GET", "POST"], include_in_schema=False)
def unknown(path: str) -> Response:
    raise NotFound("resource", f"/{path}")
