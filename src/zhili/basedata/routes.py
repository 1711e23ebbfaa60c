"""The base-data API under /basedata: one router gathering the sub-packages' routes."""

from __future__ import annotations

from fastapi import APIRouter

from zhili.basedata.addresses.routes import router as addresses_router
from zhili.basedata.housing.routes import router as housing_router
from zhili.basedata.imports.routes import router as imports_router
from zhili.basedata.population.routes import router as population_router
from zhili.basedata.units.routes import router as units_router
from zhili.basedata.visits.routes import router as visits_router

router = APIRouter(prefix="/basedata")
for _sub in (
    addresses_router,
    housing_router,
    population_router,
    units_router,
    visits_router,
    imports_router,
):
    router.include_router(_sub)
