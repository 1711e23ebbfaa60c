"""Reading an uploaded table: CSV in any of the encodings Chinese offices produce, or .xlsx.

Encodings are tried in this order, each strictly (a wrong guess fails instead of producing
mojibake): UTF-8 with a byte-order mark (Excel's "CSV UTF-8"), UTF-16 with a BOM (Excel's
"Unicode text"), plain UTF-8, then GB18030, the superset of GBK and GB2312 that Excel writes
on a Chinese Windows. Bytes that none of them decode are refused with a clear message.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from operator import methodcaller

from openpyxl import load_workbook

XLSX_MAGIC = b"PK\x03\x04"
_CHUNK = 1 << 20


class FileProblem(ValueError):
    """The file as a whole cannot be read (row 0 / row 1 of the report)."""

    def __init__(self, reason: str, reason_zh: str, *, row: int = 0, field: str = "file") -> None:
        super().__init__(reason)
        self.reason = reason
        self.reason_zh = reason_zh
        self.row = row
        self.field = field


@dataclass
class Table:
    encoding: str  # the detected encoding, or "xlsx"
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]  # (row number as a spreadsheet shows it, cells)
    size_hint: int  # data rows, exact for CSV, from the sheet's dimensions for xlsx
    # The cells by column when the file is a plain grid (see _grid); ``rows`` gives the same.
    columns: list[list[str]] | None = None


def detect(data: bytes) -> str:
    """The encoding of a CSV file, or FileProblem. Decodes in chunks and keeps nothing, so
    a file of a million rows is never held twice in memory."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        try:
            for start in range(0, len(data), _CHUNK):
                decoder.decode(data[start : start + _CHUNK])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise FileProblem(
        "cannot decode the file: save it as CSV UTF-8, GBK/GB18030, or as .xlsx",
        "无法识别文件编码：请另存为 CSV UTF-8、GBK/GB18030 或 .xlsx",
    )


def read(data: bytes, filename: str) -> Table:
    if data.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        return _read_xlsx(data)
    return _read_csv(data)


def _read_csv(data: bytes) -> Table:
    encoding = detect(data)
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    first = stream.readline()
    if not first.strip():
        raise FileProblem("the file is empty", "文件为空", row=1)
    # Only the delimiter is sniffed: guessed from a header line without quotes, the
    # sniffer's quoting rules would read Excel's doubled quotes ("") in a cell as two cells.
    try:
        delimiter = csv.Sniffer().sniff(first, ",\t;").delimiter
    except csv.Error:
        delimiter = ","
    hint = data.count(b"\n") - (0 if data.endswith(b"\n") else -1) - 1
    grid = _grid(data.decode(encoding), delimiter)
    if grid is not None:
        header, columns = grid
        return Table(encoding, header, _grid_rows(columns), len(columns[0]), columns)
    stream.seek(0)
    reader = csv.reader(stream, csv.excel, delimiter=delimiter)
    header = next(reader)

    def rows() -> Iterator[tuple[int, list[str]]]:
        # line_num counts physical lines, so a quoted multi-line cell keeps numbers honest
        for cells in reader:
            yield reader.line_num, cells

    return Table(encoding, [h.strip() for h in header], rows(), max(hint, 0))


def _grid(text: str, delimiter: str) -> tuple[list[str], list[list[str]]] | None:
    """(header, cells by column) of a file without quotes, carriage returns or NULs whose
    every line has the header's number of cells and something in them — what the csv
    module would read, one row per line — cut with two string calls instead of a Python
    loop per row (a million-row file costs seconds less); None for any other file."""
    if '"' in text or "\x00" in text:
        return None
    text = text.replace("\r\n", "\n")
    if "\r" in text:
        return None
    if text.endswith("\n"):
        text = text[:-1]
    header_line, _, body = text.partition("\n")
    width = header_line.count(delimiter) + 1
    if width < 2 or not body:
        return None
    lines = body.split("\n")
    if set(map(methodcaller("count", delimiter), lines)) != {width - 1}:
        return None  # short, long or blank lines: the csv module's way
    if not all(map(str.strip, map(methodcaller("replace", delimiter, ""), lines))):
        return None  # a line of empty cells, which is no row
    cells = body.replace("\n", delimiter).split(delimiter)
    header = [h.strip() for h in header_line.split(delimiter)]
    return header, [cells[i::width] for i in range(width)]


def _grid_rows(columns: list[list[str]]) -> Iterator[tuple[int, list[str]]]:
    for number, cells in enumerate(zip(*columns, strict=True), start=2):
        yield number, list(cells)


def _read_xlsx(data: bytes) -> Table:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileProblem("not a readable .xlsx workbook", "不是有效的 .xlsx 工作簿") from exc
    sheet = book.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    first = next(values, None)
    if first is None:
        raise FileProblem("the sheet is empty", "工作表为空", row=1)
    header = [_cell(v).strip() for v in first]
    while header and not header[-1]:
        header.pop()

    def rows() -> Iterator[tuple[int, list[str]]]:
        for number, cells in enumerate(values, start=2):
            yield number, [_cell(v) for v in cells]
        book.close()

    return Table("xlsx", header, rows(), max((sheet.max_row or 1) - 1, 0))


def _cell(value: object) -> str:
    """Cells as the text a clerk sees: 2024-05-01 for dates, 18 not 18.0 for whole numbers."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "date") and hasattr(value, "hour"):
        return value.date().isoformat()  # type: ignore[no-any-return]
    return str(value)
