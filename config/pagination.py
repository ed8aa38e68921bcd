"""The API's page of a list: `?page=N&page_size=M` (at most MAX_PAGE_SIZE), where a page
size that is not a whole number from 1 is a 400, never quietly the default."""

from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.pagination import PageNumberPagination

MAX_PAGE_SIZE = 100


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        # ASCII digits only: str.isdigit() also takes other scripts' digits.
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 6 and int(raw) >= 1):
            message = f"page_size is a whole number from 1 to {self.max_page_size}."
            raise ValidationError(
                {self.page_size_query_param: [ErrorDetail(message, code="invalid_page_size")]}
            )
        return min(int(raw), self.max_page_size)
