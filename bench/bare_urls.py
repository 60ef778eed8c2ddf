"""The ceiling of bench/request_overhead.py: plain Django views, no DRF, no authentication, no
throttle, no middleware (bench/bare_settings.py), doing the same database work as the API.

They serve the notes of one fixed user (the ``BENCH_BARE_USER`` id): what the endpoint costs when
nothing but the ORM and ``JsonResponse`` runs.
"""

from __future__ import annotations

import json
import os
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from testproject.api.models import Note


def as_dict(note: Note) -> dict[str, Any]:
    return {
        "id": note.pk,
        "title": note.title,
        "body": note.body,
        "owner": note.owner.username,
        "created_at": note.created_at.isoformat(),
        "updated_at": note.updated_at.isoformat(),
    }


def owner_id() -> int:
    return int(os.environ["BENCH_BARE_USER"])


def note_detail(request: HttpRequest, pk: int) -> JsonResponse:  # noqa: ARG001
    note = get_object_or_404(Note.objects.select_related("owner"), pk=pk)
    return JsonResponse(as_dict(note))


@csrf_exempt
def note_list(request: HttpRequest) -> JsonResponse:
    if request.method == "POST":
        data = json.loads(request.body)
        note = Note.objects.create(
            title=data["title"], body=data.get("body", ""), owner_id=owner_id()
        )
        return JsonResponse(as_dict(note), status=201)
    notes = Note.objects.select_related("owner").filter(owner_id=owner_id())[:50]
    return JsonResponse({"results": [as_dict(note) for note in notes]})


urlpatterns = [
    path("api/notes/", note_list),
    path("api/notes/<int:pk>/", note_detail),
]
