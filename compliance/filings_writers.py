"""Writing a filing's rows as CSV, XLSX or JSON lines into a file, in constant memory.

On PostgreSQL the rows stream out of the database with `COPY (SELECT ...) TO STDOUT` and
CSV and JSON lines are written as COPY prints them; elsewhere (the embedded SQLite mode) the
ORM's server-side iterator gives the same rows and this module prints the same bytes. XLSX
is written by openpyxl in write-only mode into a ZIP whose entries carry a fixed time, so
that the same rows make the same bytes."""

import csv
import hashlib
import io
import json
import shutil
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import BinaryIO
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from django.db import connection
from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from compliance.filings_kinds import DATE, DECIMAL, INT, Column, RowSource

CHUNK_ROWS = 2000
COPY_BUFFER = 1 << 20
# An XLSX sheet holds 1,048,576 rows; the header takes one on each sheet.
XLSX_SHEET_ROWS = 1_048_575


@dataclass(frozen=True)
class Written:
    row_count: int
    size: int
    sha256: str


class HashingWriter:
    """A binary sink that hashes and counts what passes through it to `out`."""

    def __init__(self, out: BinaryIO):
        self.out = out
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data) -> int:
        self.hash.update(data)
        self.size += len(data)
        self.out.write(data)
        return len(data)


def uses_copy() -> bool:
    return connection.vendor == "postgresql"


def _copy_sql(statement: str, options: str) -> str:
    # psycopg binds COPY's parameters on the client: COPY takes no server-side ones.
    return f"COPY ({statement}) TO STDOUT {options}"


def _copy_bytes(statement: str, params: dict, options: str, sink) -> int:
    """Stream COPY's output into `sink`; return the number of rows COPY reported."""
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(_copy_sql(statement, options), params) as copy:
            for chunk in copy:
                sink.write(chunk)
        return raw.rowcount


def _copy_rows(statement: str, params: dict):
    """COPY's rows in text format, one tuple of text (None for NULL) at a time."""
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(_copy_sql(statement, ""), params) as copy,
    ):
        yield from copy.rows()


# --- CSV -------------------------------------------------------------------------------------


def csv_header(columns: tuple[Column, ...]) -> bytes:
    return (",".join(c.name for c in columns) + "\n").encode()


def write_csv(source: RowSource, sink, *, copy: bool) -> int:
    """RFC 4180 CSV with a header row, UTF-8, LF line ends; NULL is an empty field."""
    if copy:
        return _copy_bytes(
            source.select_sql(), source.params, "WITH (FORMAT csv, HEADER true)", sink
        )
    sink.write(csv_header(source.columns))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    count = 0
    for row in source.rows(CHUNK_ROWS):
        writer.writerow(["" if v is None else v for v in row])
        count += 1
        if count % CHUNK_ROWS == 0:
            sink.write(buffer.getvalue().encode())
            buffer.seek(0)
            buffer.truncate()
    sink.write(buffer.getvalue().encode())
    return count


# --- JSON lines --------------------------------------------------------------------------------


def json_line(columns: tuple[Column, ...], row: tuple) -> str:
    parts = []
    for column, value in zip(columns, row, strict=True):
        if value is None:
            text = "null"
        elif column.type == INT:
            text = value
        else:
            text = json.dumps(value, ensure_ascii=False)
        parts.append(f'"{column.name}":{text}')
    return "{" + ",".join(parts) + "}\n"


def write_json_lines(source: RowSource, sink, *, copy: bool) -> int:
    """One JSON object per line (JSON Lines), keys in column order."""
    if copy:
        # CSV format with a delimiter and a quote no JSON text holds (to_json escapes every
        # control character): each line is printed as it is, unquoted and unescaped.
        options = "WITH (FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02')"
        return _copy_bytes(source.json_lines_sql(), source.params, options, sink)
    count = 0
    lines = []
    for row in source.rows(CHUNK_ROWS):
        lines.append(json_line(source.columns, row))
        count += 1
        if len(lines) == CHUNK_ROWS:
            sink.write("".join(lines).encode())
            lines.clear()
    sink.write("".join(lines).encode())
    return count


# --- XLSX ----------------------------------------------------------------------------------------

ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class _FixedTimeZip(ZipFile):
    """A ZIP whose entries all carry one fixed time and mode, and whose files are copied in
    chunks: the same content makes the same bytes, whenever it is written."""

    def _info(self, name: str) -> ZipInfo:
        info = ZipInfo(name, date_time=ZIP_TIME)
        info.compress_type = ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        return info

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        name = getattr(zinfo_or_arcname, "filename", zinfo_or_arcname)
        super().writestr(self._info(name), data)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        with (
            open(filename, "rb") as src,
            self.open(self._info(arcname), "w", force_zip64=True) as dst,
        ):
            shutil.copyfileobj(src, dst, COPY_BUFFER)


def _typed(columns: tuple[Column, ...], row: tuple) -> list:
    out = []
    for column, value in zip(columns, row, strict=True):
        if value is None:
            out.append(None)
        elif column.type == INT:
            out.append(int(value))
        elif column.type == DECIMAL:
            out.append(Decimal(value))
        elif column.type == DATE:
            out.append(date.fromisoformat(value))
        else:
            out.append(value)
    return out


def write_xlsx(source: RowSource, out: BinaryIO, *, copy: bool, title: str, created: date) -> int:
    """An XLSX workbook (openpyxl write-only): a header row, then one row per record; a new
    sheet every XLSX_SHEET_ROWS rows. `out` must be seekable (a ZIP is patched as written)."""
    rows = _copy_rows(source.select_sql(), source.params) if copy else source.rows(CHUNK_ROWS)
    workbook = Workbook(write_only=True)
    header = [c.name for c in source.columns]
    sheet, sheet_rows, sheets, count = None, XLSX_SHEET_ROWS, 0, 0
    for row in rows:
        if sheet_rows == XLSX_SHEET_ROWS:
            sheets += 1
            sheet = workbook.create_sheet(title if sheets == 1 else f"{title} ({sheets})")
            sheet.append(header)
            sheet_rows = 0
        sheet.append(_typed(source.columns, row))
        sheet_rows += 1
        count += 1
    if sheet is None:
        workbook.create_sheet(title).append(header)
    stamp = datetime.combine(created, time())
    workbook.properties.created = workbook.properties.modified = stamp
    workbook.properties.creator = workbook.properties.lastModifiedBy = "P2P Lending"
    ExcelWriter(workbook, _FixedTimeZip(out, "w", ZIP_DEFLATED, allowZip64=True)).save()
    return count


def sha256_of(file: BinaryIO) -> tuple[str, int]:
    file.seek(0)
    digest, size = hashlib.sha256(), 0
    while chunk := file.read(COPY_BUFFER):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def write_filing(
    source: RowSource,
    fmt: str,
    out: BinaryIO,
    *,
    title: str,
    created: date,
    copy: bool | None = None,
) -> Written:
    """Write the rows in `fmt` into `out` (a seekable binary file) and return the row count,
    size and SHA-256 of what was written: CSV and JSON are hashed as they stream through;
    XLSX once the ZIP is complete."""
    copy = uses_copy() if copy is None else copy
    if fmt == "xlsx":
        count = write_xlsx(source, out, copy=copy, title=title, created=created)
        out.flush()
        digest, size = sha256_of(out)
        return Written(row_count=count, size=size, sha256=digest)
    sink = HashingWriter(out)
    writer = write_csv if fmt == "csv" else write_json_lines
    count = writer(source, sink, copy=copy)
    out.flush()
    return Written(row_count=count, size=sink.size, sha256=sink.hash.hexdigest())
