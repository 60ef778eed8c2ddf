"""1,000 routes of distinct DRF view classes, for the views-audit speed test.

500 plain views anonymous clients get through (each evaluated and reported) and 125 viewsets,
each routed four times by a router with format suffixes.
"""

from __future__ import annotations

from django.urls import include, path
from rest_framework import viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from testproject.api.models import Note
from tests.audit_views import SafeNoteSerializer

OPEN_VIEWS = 500
VIEWSETS = 125


def _get(self, request):
    return Response({})


views = [
    type(f"OpenView{i}", (APIView,), {"permission_classes": [AllowAny], "get": _get, "post": _get})
    for i in range(OPEN_VIEWS)
]

router = DefaultRouter()
router.include_root_view = False
for i in range(VIEWSETS):
    viewset = type(
        f"NoteViewSet{i}",
        (viewsets.ModelViewSet,),
        {
            "queryset": Note.objects.all(),
            "serializer_class": SafeNoteSerializer,
            "permission_classes": [IsAuthenticated],
        },
    )
    router.register(f"notes{i}", viewset, basename=f"note{i}")

urlpatterns = [
    *[path(f"open{i}/", view.as_view()) for i, view in enumerate(views)],
    path("api/", include(router.urls)),
]
