"""CSV exports of a user's postings, shared by the wallet API and the history page."""

from django.http import StreamingHttpResponse

from core.csv_stream import csv_text, csv_writer

HEADER = ["id", "entry_id", "created_at", "account", "kind", "memo", "amount", "currency"]


def postings_csv_response(postings, filename: str) -> StreamingHttpResponse:
    """Stream postings as CSV (no row limit, constant memory). Text cells are neutralised;
    the amount stays a plain signed number so it sums in a spreadsheet."""
    writer = csv_writer()

    def rows():
        yield writer.writerow(HEADER)
        for p in postings.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    p.pk,
                    p.entry_id,
                    p.created_at.isoformat(),
                    csv_text(p.account.kind),
                    csv_text(p.entry.kind),
                    csv_text(p.entry.memo),
                    f"{p.amount:.2f}",
                    csv_text(p.currency),
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
