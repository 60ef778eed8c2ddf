"""``@public`` and ``is_public``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.http import HttpRequest, HttpResponse
from django.views import View
from rest_framework import viewsets
from rest_framework.decorators import api_view
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from django_apisec.ownership.permissions import PUBLIC_ATTRIBUTE, is_public, public

if TYPE_CHECKING:
    from rest_framework.request import Request


def test_public_api_view_class() -> None:
    @public
    class Health(APIView):
        pass

    assert Health.permission_classes == [AllowAny]
    assert getattr(Health, PUBLIC_ATTRIBUTE) is True
    assert is_public(Health)


def test_public_viewset() -> None:
    @public
    class Things(viewsets.ViewSet):
        pass

    assert Things.permission_classes == [AllowAny]
    assert is_public(Things)


def test_public_api_view_function() -> None:
    @public
    @api_view(["GET"])
    def ping(request: Request) -> Response:
        return Response({"pong": True})

    view_class = ping.cls  # type: ignore[attr-defined]
    assert view_class.permission_classes == [AllowAny]
    assert is_public(view_class)


def test_public_returns_the_view_itself() -> None:
    class Health(APIView):
        pass

    assert public(Health) is Health


def test_unmarked_views_are_not_public() -> None:
    class Private(APIView):
        permission_classes = [IsAuthenticated]

    assert not is_public(Private)
    assert Private.permission_classes == [IsAuthenticated]
    # Marking a subclass public leaves its parent alone.

    @public
    class Child(Private):
        pass

    assert is_public(Child)
    assert not is_public(Private)
    assert Private.permission_classes == [IsAuthenticated]


def plain_function(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


class PlainDjangoView(View):
    pass


@pytest.mark.parametrize("target", [plain_function, PlainDjangoView, object(), None, "view", 3])
def test_public_refuses_non_drf_views(target: object) -> None:
    with pytest.raises(TypeError, match="@public marks a DRF APIView/ViewSet class"):
        public(target)


def test_public_below_api_view_is_refused() -> None:
    with pytest.raises(TypeError, match="place @public above @api_view"):

        @api_view(["GET"])
        @public
        def ping(request: Request) -> Response:
            return Response()


@pytest.mark.parametrize("value", [object, int, type("X", (), {PUBLIC_ATTRIBUTE: "yes"})])
def test_is_public_on_arbitrary_classes(value: type) -> None:
    assert is_public(value) is (getattr(value, PUBLIC_ATTRIBUTE, False) == "yes")
