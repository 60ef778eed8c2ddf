"""Pagination whose page size a client can choose, but never beyond a bound."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.pagination import PageNumberPagination
from rest_framework.settings import api_settings

from django_apisec.conf import apisec_settings

if TYPE_CHECKING:
    from rest_framework.request import Request


__all__ = ["BoundedPageNumberPagination"]


class BoundedPageNumberPagination(PageNumberPagination):
    """``?page=`` and ``?page_size=`` pagination capped at ``APISEC_MAX_PAGE_SIZE``.

    Both bounds are read at request time, so ``override_settings`` reaches them. A page number
    that is not a page (``0``, ``-1``, ``abc``, a 5,000-digit number) is a 404, as in DRF.
    """

    page_size_query_param = "page_size"

    @property
    def page_size(self) -> int | None:  # type: ignore[override]
        """``REST_FRAMEWORK["PAGE_SIZE"]``, read now rather than at import."""
        size: int | None = api_settings.PAGE_SIZE
        return size

    @property
    def max_page_size(self) -> int | None:  # type: ignore[override]
        """The largest page a client may ask for; ``None`` when the setting is unusable."""
        return apisec_settings.MAX_PAGE_SIZE

    def get_page_size(self, request: Request) -> int | None:
        """The client's ``?page_size=``, capped; the default size when no cap is usable."""
        if self.max_page_size is None:
            # A broken bound must not become no bound (apisec.E108 reports it at deploy time).
            return self.page_size
        return super().get_page_size(request)
