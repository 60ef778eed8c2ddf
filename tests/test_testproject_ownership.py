"""The testproject's resources are isolated per user on every route."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from django_apisec.testing import assert_owner_isolation
from testproject.api import views
from testproject.api.models import Note, Project, Task

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("viewset", "url", "make", "payload"),
    [
        (
            views.NoteViewSet,
            "/api/notes/",
            lambda u: Note.objects.create(owner=u, title="t"),
            {"title": "x", "body": "y"},
        ),
        (
            views.ProjectViewSet,
            "/api/projects/",
            lambda u: Project.objects.create(owner=u, name="p"),
            {"name": "x"},
        ),
        (
            views.TaskViewSet,
            "/api/tasks/",
            lambda u: Task.objects.create(project=Project.objects.create(owner=u, name="p")),
            {"title": "x", "done": True},
        ),
    ],
)
def test_every_route_isolates_users(
    viewset: Any, url: str, make: Any, payload: dict[str, Any], *, alice: Any, bob: Any
) -> None:
    assert_owner_isolation(
        viewset, url, owner=alice, intruder=bob, make_object=make, payload=payload
    )


def test_owner_in_body_and_unknown_keys_are_rejected(alice: Any, bob: Any) -> None:
    client = APIClient()
    client.force_authenticate(alice)
    response = client.post("/api/notes/", {"title": "t", "owner": "bob", "pinned": True})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"owner", "pinned"}
    assert not Note.objects.exists()


def test_a_task_cannot_enter_another_users_project(alice: Any, bob: Any) -> None:
    foreign = Project.objects.create(owner=bob, name="b")
    client = APIClient()
    client.force_authenticate(alice)
    response = client.post("/api/tasks/", {"project": foreign.pk, "title": "t"})
    assert response.status_code == 400
    assert "project" in response.json()["errors"]
    assert not Task.objects.exists()
