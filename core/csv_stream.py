"""CSV written as a stream (no row limit, constant memory) and cells a spreadsheet shows as
text: shared by every export (wallet postings, statements, the audit trail, segments)."""

import csv

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection, OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value) -> str:
    """A text cell a spreadsheet shows as text: a leading formula character gets a `'`;
    None is empty."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


class _Echo:
    """A file-like sink whose write returns the line, so csv.writer feeds a generator."""

    def write(self, value: str) -> str:
        return value


def csv_writer():
    """A csv.writer whose writerow returns the line it wrote, for a StreamingHttpResponse."""
    return csv.writer(_Echo())
