"""The importable isolation helper passes on scoped viewsets and catches a leaky one."""

from __future__ import annotations

from typing import Any

import pytest

from django_apisec.testing import assert_owner_isolation
from testproject.api.models import Note, Project, Task
from tests import ownership_urls

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.ownership_urls")]


def test_scoped_viewsets_pass(alice: Any, bob: Any) -> None:
    assert_owner_isolation(
        ownership_urls.NoteViewSet,
        "/api/notes/",
        owner=alice,
        intruder=bob,
        make_object=lambda user: Note.objects.create(owner=user, title="t"),
        payload={"title": "changed"},
    )
    assert_owner_isolation(
        ownership_urls.TaskViewSet,
        "/api/tasks",
        owner=alice,
        intruder=bob,
        make_object=lambda user: Task.objects.create(
            project=Project.objects.create(owner=user, name="p"), title="t"
        ),
    )


def test_a_leaky_viewset_is_caught(alice: Any, bob: Any) -> None:
    with pytest.raises(AssertionError, match=r"list shows the object|answers 200"):
        assert_owner_isolation(
            ownership_urls.LeakyNoteViewSet,
            "/api/leaky-notes/",
            owner=alice,
            intruder=bob,
            make_object=lambda user: Note.objects.create(owner=user, title="t"),
        )


def test_viewsets_without_a_list_route(alice: Any, bob: Any) -> None:
    assert_owner_isolation(
        ownership_urls.DetailOnlyNoteViewSet,
        "/api/detail-only-notes/",
        owner=alice,
        intruder=bob,
        make_object=lambda user: Note.objects.create(owner=user, title="t"),
    )
