"""No personal data in clear anywhere in the database after real identity submissions."""

import datetime

import pytest
from django.db import connection

from accounts import services
from accounts.adapters.identity import sandbox_bank_card, sandbox_national_id, sandbox_phone
from core.errors import DomainError
from tests.accounts.pii_scan import plaintext_found


def _submit_several(make_user) -> list[str]:
    """Pass, fail and duplicate submissions; return every clear value that was sent."""
    sent = []
    people = []
    for n in range(1, 5):
        people.append(
            {
                "legal_name": ["王小明", "李华", "Zhang Wei", "陈静"][n - 1],
                "national_id": sandbox_national_id(
                    birth=datetime.date(1980 + n, n, n), sequence=100 + n, area="310104"
                ),
                "phone": sandbox_phone(7000 + n),
                "bank_card": sandbox_bank_card(7000 + n),
            }
        )
    for data in people[:3]:
        services.identity_submit(user=make_user(), **data)
    attempts = [
        {**people[3], "bank_card": people[3]["bank_card"][:-1] + "0"},  # bad Luhn
        {**people[3], "national_id": people[0]["national_id"]},  # duplicate
        {**people[3], "phone": people[1]["phone"]},  # duplicate phone
    ]
    for data in attempts:
        with pytest.raises(DomainError):
            services.identity_submit(user=make_user(), **data)
    for data in people + attempts:
        sent.extend([data["national_id"], data["phone"], data["bank_card"]])
    return sorted(set(sent))


@pytest.mark.postgres
@pytest.mark.django_db
def test_raw_sql_scan_of_every_text_column_finds_no_plaintext_pii(make_user):
    sent = _submit_several(make_user)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT table_name, column_name FROM information_schema.columns
            WHERE table_schema = current_schema()
              AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')
            """
        )
        columns = cursor.fetchall()
        assert len(columns) > 50
        hits = []
        for table, column in columns:
            cursor.execute(
                f'SELECT count(*) FROM "{table}" WHERE "{column}"::text LIKE ANY(%s)',
                [[f"%{value}%" for value in sent]],
            )
            if cursor.fetchone()[0]:
                hits.append(f"{table}.{column}")
    assert hits == []
    # The same scan does find what is stored on purpose (the masked form), so it can fail.
    with connection.cursor() as cursor:
        cursor.execute("SELECT national_id_masked FROM accounts_identity LIMIT 1")
        masked = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM accounts_identity WHERE national_id_masked::text LIKE ANY(%s)",
            [[f"%{masked}%"]],
        )
        assert cursor.fetchone()[0] == 1


@pytest.mark.django_db
def test_scan_of_every_table_row_finds_no_plaintext_pii_any_database(make_user):
    sent = _submit_several(make_user)
    found = plaintext_found(*sent)
    assert found == []
