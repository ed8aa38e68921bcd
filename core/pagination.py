"""The API's page of a list: `?page=N&page_size=M` (at most MAX_PAGE_SIZE), where a page
size that is not a whole number from 1 is a 400, never quietly the default, and a page that
is not a whole number from 1 (or lies past the end) is a 404."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ErrorDetail, NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination

MAX_PAGE_SIZE = 100
# The longest page size read: a larger number (up to six digits) still gives MAX_PAGE_SIZE.
PAGE_SIZE_DIGITS = 6


def _is_whole_number(raw: str) -> bool:
    # ASCII digits only: str.isdigit() also takes other scripts' digits, and int() would
    # also read "+3", " 3" and "1_0".
    return raw.isascii() and raw.isdigit()


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    # `page=last` is not offered: the schema says a page is a number.
    last_page_strings = ()

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (_is_whole_number(raw) and len(raw) <= PAGE_SIZE_DIGITS and int(raw) >= 1):
            message = _("page_size is a whole number from 1 to %(max)s.") % {
                "max": self.max_page_size
            }
            raise ValidationError(
                {self.page_size_query_param: [ErrorDetail(message, code="invalid_page_size")]}
            )
        return min(int(raw), self.max_page_size)

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param) or "1"  # `page=` is the first
        if not _is_whole_number(raw):
            raise NotFound(self.invalid_page_message)
        return raw

    def get_schema_operation_parameters(self, view):
        """The two parameters as the server reads them (drf-spectacular shows these)."""
        page, page_size = super().get_schema_operation_parameters(view)
        page["schema"] = {"type": "integer", "minimum": 1}
        page["description"] = "A page number from 1; a page past the end is a 404."
        # An empty `page=` is read as the first page.
        page["allowEmptyValue"] = True
        page_size["schema"] = {
            "type": "integer",
            "minimum": 1,
            "maximum": 10**PAGE_SIZE_DIGITS - 1,
            "default": self.page_size,
        }
        page_size["description"] = (
            f"Results per page, at most {self.max_page_size}: a larger number gives "
            f"{self.max_page_size}; anything but a whole number from 1 is a 400."
        )
        return [page, page_size]
