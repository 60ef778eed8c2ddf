"""A generated URLconf of ``BENCH_ROUTES`` routes on top of the testproject's, for
bench/deploy_gate_scale.py: half plain ``APIView`` classes (each its own route), half routes of
owned viewsets (a ``DefaultRouter`` gives each one 4 routes: list and detail, with and without a
format suffix). Every view is authenticated and owner-scoped, so the deploy gate passes.
"""

from __future__ import annotations

import os

from django.urls import include, path
from rest_framework import viewsets
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from django_apisec.ownership.mixins import OwnedQuerysetMixin
from testproject.api.models import Note
from testproject.api.serializers import NoteSerializer

ROUTES = int(os.environ.get("BENCH_ROUTES", "1000"))
PLAIN = ROUTES // 2
VIEWSETS = (ROUTES - PLAIN) // 4


def _get(self, request):  # noqa: ARG001
    return Response({})


plain_views = [type(f"ScaleView{i}", (APIView,), {"get": _get}) for i in range(PLAIN)]
router = DefaultRouter()
router.include_root_view = False
for i in range(VIEWSETS):
    viewset = type(
        f"ScaleNoteViewSet{i}",
        (OwnedQuerysetMixin, viewsets.ModelViewSet),
        {
            "queryset": Note.objects.select_related("owner"),
            "serializer_class": NoteSerializer,
            "owner_field": "owner",
        },
    )
    router.register(f"scale/notes{i}", viewset, basename=f"scale-note{i}")

urlpatterns = [
    path("", include("testproject.urls")),
    *[path(f"api/scale/plain{i}/", view.as_view()) for i, view in enumerate(plain_views)],
    path("api/", include(router.urls)),
]
