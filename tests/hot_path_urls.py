"""The testproject's URLs plus a view that refuses every user by permission, for the hot path
tests (a request refused before its throttles ran)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import include, path
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

if TYPE_CHECKING:
    from rest_framework.request import Request


class AdminOnlyView(APIView):
    """Staff only: every test user is refused with 403 before the throttles run."""

    permission_classes = [IsAdminUser]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


urlpatterns = [
    path("admin-only/", AdminOnlyView.as_view()),
    path("", include("testproject.urls")),
]
