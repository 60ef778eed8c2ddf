"""Pagination whose page size a client can choose, but never beyond a bound."""

from __future__ import annotations

from rest_framework.pagination import PageNumberPagination
from rest_framework.settings import api_settings

from django_apisec.conf import apisec_settings


class BoundedPageNumberPagination(PageNumberPagination):
    """``?page=`` and ``?page_size=`` pagination capped at ``APISEC_MAX_PAGE_SIZE``.

    Both bounds are read at request time, so ``override_settings`` reaches them.
    """

    page_size_query_param = "page_size"

    @property  # type: ignore[override]
    def page_size(self) -> int | None:
        """``REST_FRAMEWORK["PAGE_SIZE"]``, read now rather than at import."""
        return api_settings.PAGE_SIZE  # type: ignore[no-any-return]

    @property  # type: ignore[override]
    def max_page_size(self) -> int:
        """The largest page a client may ask for."""
        return apisec_settings.MAX_PAGE_SIZE
