"""Imports of base data: one call per file, one job row and one audit row per call.
The caller commits (the API at the edge, the CLI in ``core.db.transaction``)."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable

from openpyxl import Workbook
from sqlalchemy.orm import Session

from zhili.basedata.imports import engine, reader
from zhili.basedata.imports.addresses import Addresses
from zhili.basedata.imports.kinds import MAX_REPORTED_ERRORS, Counts, Kind, Progress
from zhili.basedata.imports.models import ImportJob
from zhili.basedata.imports.persons import Persons
from zhili.basedata.imports.units import Dwellings, Units
from zhili.basedata.vault import Vault
from zhili.core import audit
from zhili.core.errors import NotFound, ValidationFailed
from zhili.core.security import Permission, Role
from zhili.org.access import authorize
from zhili.org.users.models import User

KINDS: dict[str, Callable[[], Kind]] = {
    "addresses": Addresses,
    "dwellings": Dwellings,
    "persons": Persons,
    "units": Units,
}
REPORT_HEADER = ("row", "field", "reason", "reason_zh")


def kind_of(name: str) -> Kind:
    if name not in KINDS:
        raise ValidationFailed(
            "kind", f"one of {', '.join(KINDS)}", f"导入类型应为 {', '.join(KINDS)} 之一"
        )
    return KINDS[name]()


def run_import(
    session: Session,
    *,
    actor: User | None,
    vault: Vault,
    kind: str,
    data: bytes,
    filename: str,
    good_rows_only: bool = False,
    progress: Progress | None = None,
) -> ImportJob:
    """Validate every row of the file, then write all of it, its good rows only
    (``good_rows_only``), or nothing. Re-importing a file changes nothing. The job row holds
    the per-row report (row, field, reason) whatever the outcome."""
    spec = kind_of(kind)
    if actor is not None:
        authorize(session, actor=actor, permission=Permission.basedata_write)
    try:
        table = reader.read(data, filename)
    except reader.FileProblem as exc:
        status, rows, valid, counts, errors = (
            "rejected",
            0,
            0,
            Counts(),
            [engine.header_problem(exc)],
        )
        encoding = None
    else:
        status, rows, valid, counts, errors = engine.run(
            session,
            kind=spec,
            header=table.header,
            rows=table.rows,
            columns=table.columns,
            size_hint=table.size_hint,
            actor=actor,
            vault=vault,
            good_rows_only=good_rows_only,
            progress=progress,
        )
        encoding = table.encoding
    job = ImportJob(
        kind=kind,
        filename=filename[-255:],
        sha256=hashlib.sha256(data).hexdigest(),
        encoding=encoding,
        good_rows_only=good_rows_only,
        status=status,
        rows=rows,
        valid=valid,
        inserted=counts.inserted,
        updated=counts.updated,
        unchanged=counts.unchanged,
        error_count=len(errors),
        errors=[e.as_dict() for e in errors[:MAX_REPORTED_ERRORS]],
        actor_id=actor.id if actor is not None else None,
    )
    session.add(job)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="basedata.import",
        entity_type="basedata_import",
        entity_id=job.id,
        after={
            "kind": kind,
            "filename": job.filename,
            "sha256": job.sha256,
            "status": status,
            "rows": rows,
            "inserted": counts.inserted,
            "updated": counts.updated,
            "unchanged": counts.unchanged,
            "errors": len(errors),
        },
    )
    return job


def get_job(session: Session, *, actor: User | None, job_id: int) -> ImportJob:
    """An import job, for whoever ran it or an administrator."""
    job = session.get(ImportJob, job_id)
    if job is None or (actor is not None and actor.role != Role.admin and job.actor_id != actor.id):
        raise NotFound("import", job_id)
    return job


def render_report(job: ImportJob, fmt: str = "csv") -> bytes:
    """The per-row report as CSV (UTF-8 with BOM, so Excel shows the Chinese) or .xlsx."""
    rows = [[e[k] for k in REPORT_HEADER] for e in job.errors]
    if job.error_count > len(job.errors):
        more = job.error_count - len(job.errors)
        rows.append(["", "", f"{more} more errors not listed", f"另有 {more} 处错误未列出"])
    if fmt == "xlsx":
        book = Workbook(write_only=True)
        sheet = book.create_sheet("report")
        sheet.append(["行号 row", "字段 field", "原因 reason", "原因（中文）"])
        for row in rows:
            sheet.append(row)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(REPORT_HEADER)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8-sig")
