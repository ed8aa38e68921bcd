"""Pagination for the marketplace: the total count of a large list is cached briefly.

Counting 100,000 open loans costs more than fetching a page of them; a count up to
MARKETPLACE_COUNT_TTL seconds old is accurate enough for "page 3 of 5,000". Only large
counts are cached (small ones are cheap and must be exact, or a new loan would hide), and a
page is always sliced in full, so a stale total can misplace the last page, never hide rows.
"""

import hashlib

from django.core.cache import cache
from django.core.paginator import Paginator
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination

MARKETPLACE_COUNT_TTL = 15
CACHE_COUNTS_FROM = 1000


class CachedCountPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        query = getattr(self.object_list, "query", None)
        if query is None:
            return super().count
        key = "lending:count:" + hashlib.sha256(str(query).encode()).hexdigest()
        value = cache.get(key)
        if value is None:
            value = self.object_list.order_by().count()
            if value >= CACHE_COUNTS_FROM:
                cache.set(key, value, MARKETPLACE_COUNT_TTL)
        return value

    def page(self, number):
        """The page sliced in full, not clipped to a possibly stale count."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return self._get_page(self.object_list[bottom : bottom + self.per_page], number, self)


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100


class MarketplacePagination(Pagination):
    django_paginator_class = CachedCountPaginator
