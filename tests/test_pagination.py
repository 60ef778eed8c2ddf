"""BoundedPageNumberPagination: the client picks a page size, never beyond APISEC_MAX_PAGE_SIZE."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from rest_framework.permissions import AllowAny
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from django_apisec.http.pagination import BoundedPageNumberPagination

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.response import Response

ROWS = 1000
PAGE_SIZE = 50  # the test settings' REST_FRAMEWORK["PAGE_SIZE"] (harden's default)


class NumbersView(APIView):
    """Lists 0..999, paginated the way every list view of a hardened project is."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()

    def get(self, request: Request) -> Response:
        paginator = BoundedPageNumberPagination()
        page = paginator.paginate_queryset(list(range(ROWS)), request, view=self)
        return paginator.get_paginated_response(page)


class UsersView(NumbersView):
    """The same over a real queryset, so the database answers count and slice."""

    def get(self, request: Request) -> Response:
        paginator = BoundedPageNumberPagination()
        users = get_user_model().objects.order_by("pk")
        page = paginator.paginate_queryset(users, request, view=self)
        return paginator.get_paginated_response([user.pk for user in page or []])


def fetch(query: str, view: type[APIView] = NumbersView) -> Any:
    """GET ``/?query`` through the whole DRF stack (exception handler included)."""
    response = view.as_view()(APIRequestFactory().get(f"/numbers/?{query}"))
    response.render()
    return response


def test_default_page_size() -> None:
    response = fetch("")
    assert response.status_code == 200
    assert response.data["count"] == ROWS
    assert response.data["results"] == list(range(PAGE_SIZE))


def test_client_chooses_a_smaller_page() -> None:
    assert len(fetch("page_size=7").data["results"]) == 7


def test_attack_huge_page_size_is_capped_at_the_default_bound() -> None:
    response = fetch("page_size=1000000")
    assert response.status_code == 200
    assert len(response.data["results"]) == 100  # APISEC_MAX_PAGE_SIZE's default


def test_bound_is_read_at_request_time() -> None:
    with override_settings(APISEC_MAX_PAGE_SIZE=10):
        assert len(fetch("page_size=1000000").data["results"]) == 10
    with override_settings(APISEC_MAX_PAGE_SIZE=500):
        assert len(fetch("page_size=1000000").data["results"]) == 500


def test_page_size_is_read_at_request_time(settings: Any) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "PAGE_SIZE": 3}
    assert fetch("").data["results"] == [0, 1, 2]


@pytest.mark.parametrize("bound", [0, -1, None, "abc", [5]])
def test_attack_unusable_bound_fails_closed(bound: Any) -> None:
    # A broken APISEC_MAX_PAGE_SIZE must not mean "no bound" (DRF treats 0 as no cap).
    with override_settings(APISEC_MAX_PAGE_SIZE=bound):
        response = fetch("page_size=1000000")
        assert BoundedPageNumberPagination().max_page_size is None
    assert response.status_code == 200
    assert len(response.data["results"]) == PAGE_SIZE


@pytest.mark.parametrize("size", ["0", "-5", "abc", "1e3", "9" * 5000, ""])
def test_invalid_page_size_falls_back_to_the_default(size: str) -> None:
    response = fetch(f"page_size={size}")
    assert response.status_code == 200
    assert len(response.data["results"]) == PAGE_SIZE


@pytest.mark.parametrize(
    "page",
    ["0", "-1", "21", "abc", "1.5", "1e9", "inf", "NaN", "%00", "9" * 5000, str(10**30)],
)
def test_attack_absurd_page_numbers_are_404_not_500(page: str) -> None:
    response = fetch(f"page={page}")
    assert response.status_code == 404
    assert response.data["code"] == "not_found"
    assert response["Content-Type"].startswith("application/json")


def test_last_page() -> None:
    response = fetch("page=last")
    assert response.status_code == 200
    assert response.data["results"] == list(range(ROWS - PAGE_SIZE, ROWS))
    assert response.data["next"] is None


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["2", str(10**18), "9" * 5000, "-1"])
def test_attack_absurd_page_numbers_on_a_queryset(page: str) -> None:
    get_user_model().objects.create_user("alice", password="unused-password-1")
    response = fetch(f"page={page}", view=UsersView)
    assert response.status_code == 404
    assert response.data["code"] == "not_found"
