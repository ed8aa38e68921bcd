"""Pagination for the marketplace: the total count of a large list is cached briefly, and so
is a large list's rendered page.

Counting 100,000 open loans costs more than fetching a page of them; a count up to
MARKETPLACE_COUNT_TTL seconds old is accurate enough for "page 3 of 5,000". Only large
counts are cached (small ones are cheap and must be exact, or a new loan would hide), and a
page is always sliced in full, so a stale total can misplace the last page, never hide rows.

A page of a large marketplace (the public listing, the same for every caller with the same
filters) is served from a rendering up to MARKETPLACE_PAGE_TTL seconds old: amounts left may
lag by that much and a loan that just filled may still show. That is harmless: investing
re-checks status and amount on the locked loan row and refuses with a clear code.

Both caches only save work: while Redis is down every request counts and renders afresh.
"""

import hashlib

from django.core.paginator import InvalidPage, Paginator
from django.utils.functional import cached_property
from rest_framework.exceptions import NotFound

from core.cache import optional_get, optional_set
from core.pagination import Pagination

MARKETPLACE_COUNT_TTL = 15
MARKETPLACE_PAGE_TTL = 2
CACHE_COUNTS_FROM = 1000


def page_cache_key(kind: str, params) -> str:
    """The key of a rendered page: its kind and every query parameter, order-insensitive."""
    canonical = "&".join(f"{k}={v}" for k, values in sorted(params.lists()) for v in values)
    return f"lending:page:{kind}:" + hashlib.sha256(canonical.encode()).hexdigest()


def page_cache_get(key: str):
    """A page rendered up to MARKETPLACE_PAGE_TTL seconds ago, or None. Only valid requests
    on a large list were stored, so a hit needs no validation, query or count."""
    return optional_get(key)


def page_cache_set(key: str, paginator: Paginator, value) -> None:
    """Keep a rendered page briefly, only when its list is large (small ones stay exact)."""
    if paginator.count >= CACHE_COUNTS_FROM:
        optional_set(key, value, MARKETPLACE_PAGE_TTL)


class CachedCountPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        query = getattr(self.object_list, "query", None)
        if query is None:
            return super().count
        key = "lending:count:" + hashlib.sha256(str(query).encode()).hexdigest()
        value = optional_get(key)
        if value is None:
            value = self.object_list.order_by().count()
            if value >= CACHE_COUNTS_FROM:
                optional_set(key, value, MARKETPLACE_COUNT_TTL)
        return value

    def page(self, number):
        """The page sliced in full, not clipped to a possibly stale count."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return self._get_page(self.object_list[bottom : bottom + self.per_page], number, self)


class MarketplacePagination(Pagination):
    django_paginator_class = CachedCountPaginator

    def paginate_with(self, paginator: Paginator, request) -> list:
        """`paginate_queryset` on a paginator the view made (and counted) already."""
        self.request = request
        page_number = self.get_page_number(request, paginator)
        try:
            self.page = paginator.page(page_number)
        except InvalidPage as exc:
            msg = self.invalid_page_message.format(page_number=page_number, message=str(exc))
            raise NotFound(msg) from exc
        return list(self.page)
