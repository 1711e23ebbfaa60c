"""All web pages, mounted by ``zhili.app.create_app``: one router, CSRF-checked as a whole."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from zhili.web import auth
from zhili.web.deps import csrf_protect

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
router.include_router(auth.router)
