"""The investor's annual statement as files: CSV (one row per investment, payout and loss)
and PDF (WeasyPrint, from templates/lending/statement_pdf.html)."""

import csv
import io

from django.template.loader import render_to_string
from django.utils import timezone

from custody.exports import csv_text
from lending.portfolio import Statement

CSV_HEADER = [
    "date",
    "type",
    "loan",
    "installments",
    "principal",
    "interest",
    "penalty_interest",
    "fee",
    "amount",
    "currency",
]


def statement_csv(statement: Statement) -> str:
    """The statement's lines, oldest first: `investment` (money lent, negative), `payout`
    (principal, interest, penalty interest, the platform's fee, and the net amount paid),
    `loss` (principal of a written-off loan, negative). Amounts are plain signed numbers
    so they sum in a spreadsheet; text cells are neutralised against formulas."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for line in statement.lines:
        writer.writerow(
            [
                line.on.isoformat(),
                line.kind,
                csv_text(line.loan_reference),
                csv_text(line.installments),
                f"{line.principal:.2f}",
                f"{line.interest:.2f}",
                f"{line.penalty:.2f}",
                f"{line.fee:.2f}",
                f"{line.amount:.2f}",
                statement.currency,
            ]
        )
    return out.getvalue()


def statement_pdf(statement: Statement) -> bytes:
    """The statement as a PDF document (A4), its title naming the year."""
    # Imported here, not at the top: WeasyPrint loads Pango through cffi when imported,
    # which every process importing lending's pages would otherwise pay for.
    import weasyprint

    html = render_to_string(
        "lending/statement_pdf.html",
        {"statement": statement, "generated_at": timezone.localtime()},
    )
    return weasyprint.HTML(string=html).write_pdf()
