"""Scan every row of every table, with raw SQL, for values that must never be stored in
clear."""

import json

from django.db import connection


def _as_text(value) -> str:
    """What a column could hold in clear: text, JSON and bytes. Numbers and timestamps
    cannot, and their digits would match short values by chance (a timestamp's
    microseconds once held the test phone number 10086)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", errors="ignore")
    return ""


def plaintext_found(*values) -> list[str]:
    """`table: value` for each of `values` some row holds in clear."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            names = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            quoted = ", ".join(connection.ops.quote_name(n) for n in names)
            cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                text = " ".join(_as_text(v) for v in row)
                found.extend(f"{table}: {value}" for value in values if value in text)
    return found
