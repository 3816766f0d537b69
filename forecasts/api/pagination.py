from django.core.paginator import EmptyPage, PageNotAnInteger
from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import Count, Window
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 1000


class RankingPaginator(DjangoPaginator):
    """Pages a ranked aggregate (one row per analyst) with one query: each row of the page carries the number of
    rows in all (COUNT(*) OVER ()), so neither a second aggregate for the count nor every row of the ranking is
    read to serve one page."""

    TOTAL = "rows_in_ranking"
    # OFFSET and LIMIT are 64-bit integers in SQLite and PostgreSQL: a page past this is empty, not an overflow
    # ("?page=381624453010188150056681472" made a 500 before).
    LAST_ROW = 2**62

    def page(self, number):
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger("That page number is not an integer") from None
        if number < 1:
            raise EmptyPage("That page number is less than 1")
        bottom = (number - 1) * self.per_page
        if bottom + self.per_page > self.LAST_ROW:
            raise EmptyPage("That page contains no results")
        rows = list(self.object_list.annotate(**{self.TOTAL: Window(Count("*"))})[bottom : bottom + self.per_page])
        if not rows and number > 1:
            raise EmptyPage("That page contains no results")
        self.count = rows[0][self.TOTAL] if rows else 0  # Paginator.count, known without a COUNT query
        return self._get_page(rows, number, self)


class RankingPagination(Pagination):
    django_paginator_class = RankingPaginator
