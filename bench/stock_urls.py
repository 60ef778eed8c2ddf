"""The notes API written by hand on stock DRF: the same routes, fields and filters as the
testproject's ``NoteViewSet``, with the owner filter in ``get_queryset`` (bench/stock_settings.py).
"""

from __future__ import annotations

from typing import Any

from django.urls import include, path
from rest_framework import filters, serializers, viewsets
from rest_framework.routers import DefaultRouter

from testproject.api.models import Note


class NoteSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    owner = serializers.ReadOnlyField(source="owner.username")

    class Meta:
        model = Note
        fields = ["id", "title", "body", "owner", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class NoteViewSet(viewsets.ModelViewSet):  # type: ignore[type-arg]
    """The requester's notes."""

    serializer_class = NoteSerializer
    filter_backends = [filters.SearchFilter, filters.OrderingFilter]
    search_fields = ["title", "body"]
    ordering_fields = ["id", "title", "created_at", "updated_at"]

    def get_queryset(self) -> Any:
        return Note.objects.select_related("owner").filter(owner=self.request.user)

    def perform_create(self, serializer: Any) -> None:
        serializer.save(owner=self.request.user)


router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("notes", NoteViewSet, basename="note")

urlpatterns = [path("api/", include(router.urls))]
