"""Labelled texts from a file: CSV (UTF-8, with or without BOM, or GBK/GB18030) or Excel.

Encodings are tried strictly, so a wrong guess fails instead of producing mojibake. Rows with
an empty text or label are skipped and counted; a missing column is a ValidationFailed that
names it.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import load_workbook

from zhili.core.errors import ValidationFailed

XLSX_MAGIC = b"PK\x03\x04"


@dataclass
class Labelled:
    texts: list[str]
    labels: list[str]
    source: str
    encoding: str
    skipped: int = 0
    columns: list[str] = field(default_factory=list)


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding) of CSV bytes."""
    if data.startswith(codecs.BOM_UTF8):
        return data.decode("utf-8-sig"), "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ValidationFailed(
        "data", "cannot decode the file: use CSV UTF-8, GBK or .xlsx", "无法识别文件编码"
    )


def _rows(data: bytes, name: str) -> tuple[list[list[str]], str]:
    if data.startswith(XLSX_MAGIC) or name.lower().endswith((".xlsx", ".xlsm")):
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        rows = [
            ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
        ]
        book.close()
        return rows, "xlsx"
    text, encoding = decode(data)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text.split("\n", 1)[0], ",\t;"
        )
    except csv.Error:
        dialect = csv.excel
    return list(csv.reader(io.StringIO(text, newline=""), dialect)), encoding


def read_bytes(data: bytes, name: str, *, text_column: str, label_column: str) -> Labelled:
    rows, encoding = _rows(data, name)
    if not rows:
        raise ValidationFailed("data", "the file is empty", "文件为空")
    header = [h.strip() for h in rows[0]]
    positions = {}
    for option, column in (("text_column", text_column), ("label_column", label_column)):
        if column not in header:
            raise ValidationFailed(
                option,
                f"no column {column!r}; the file has {', '.join(header)}",
                f"文件中没有“{column}”列",
            )
        positions[option] = header.index(column)
    t, lab = positions["text_column"], positions["label_column"]
    texts: list[str] = []
    labels: list[str] = []
    skipped = 0
    for row in rows[1:]:
        text = row[t].strip() if t < len(row) else ""
        label = row[lab].strip() if lab < len(row) else ""
        if not text or not label:
            skipped += 1
            continue
        texts.append(text)
        labels.append(label)
    return Labelled(texts, labels, name, encoding, skipped, header)


def read_file(path: Path, *, text_column: str, label_column: str) -> Labelled:
    if not path.is_file():
        raise ValidationFailed("data", f"no file {path}", f"找不到文件 {path}")
    return read_bytes(
        path.read_bytes(), path.name, text_column=text_column, label_column=label_column
    )
