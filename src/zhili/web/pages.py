"""All web pages, mounted by ``zhili.app.create_app``: one router, CSRF-checked as a whole."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from zhili.web import auth, case_page, geo, gridder, hints, public, queue, units, warnings
from zhili.web.deps import csrf_protect

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
for module in (auth, public, geo, queue, case_page, units, gridder, warnings, hints):
    router.include_router(module.router)

from zhili.web.dashboard.pages import router as dashboard_router  # noqa: E402

router.include_router(dashboard_router)
