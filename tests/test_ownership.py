"""Attack tests for object ownership (OWASP API1/API3): each would pass against plain DRF."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from django_apisec.ownership.mixins import is_owned_by, owned_by, resolve_owner_path
from django_apisec.signals import owner_bypass_used
from testproject.api.models import Note, Project, Task
from tests import ownership_urls

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.ownership_urls")]
User = get_user_model()


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def bob_note(bob: Any) -> Note:
    return Note.objects.create(title="bob's secret", body="payroll", owner=bob)


def missing_id() -> int:
    return (Note.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000


@pytest.mark.parametrize(
    ("method", "suffix", "payload"),
    [
        ("get", "", None),
        ("put", "", {"title": "pwned", "body": "x"}),
        ("patch", "", {"title": "pwned"}),
        ("delete", "", None),
        ("post", "archive/", None),
    ],
)
def test_another_users_note_is_indistinguishable_from_a_missing_one(
    alice: Any, bob_note: Note, method: str, suffix: str, payload: dict[str, str] | None
) -> None:
    client = client_for(alice)
    foreign = getattr(client, method)(f"/api/notes/{bob_note.pk}/{suffix}", payload)
    missing = getattr(client, method)(f"/api/notes/{missing_id()}/{suffix}", payload)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content
    bob_note.refresh_from_db()
    assert (bob_note.title, bob_note.body) == ("bob's secret", "payroll")


def test_list_search_ordering_and_count_see_only_own_objects(
    alice: Any, bob: Any, bob_note: Note
) -> None:
    Note.objects.create(title="alice one", owner=alice)
    Note.objects.create(title="bob two", owner=bob)
    client = client_for(alice)
    for query in ["", "?search=secret", "?search=payroll", "?ordering=-title", "?owner=2"]:
        body = client.get(f"/api/notes/{query}").json()
        titles = [row["title"] for row in body["results"]]
        assert all(t.startswith("alice") for t in titles), query
        assert body["count"] == len(titles)
    assert client.get("/api/notes/?search=payroll").json()["count"] == 0


@pytest.mark.parametrize("detail", [False, True])
def test_scoping_costs_no_extra_query(alice: Any, bob_note: Note, detail: bool) -> None:
    note = Note.objects.create(title="alice one", owner=alice)
    client = client_for(alice)
    suffix = f"{note.pk}/" if detail else ""
    with CaptureQueriesContext(connection) as scoped:
        assert client.get(f"/api/notes/{suffix}").status_code == 200
    with CaptureQueriesContext(connection) as handwritten:
        assert client.get(f"/api/handwritten-notes/{suffix}").status_code == 200
    assert len(scoped) == len(handwritten)


def test_many_valued_owner_path_does_not_duplicate_rows(alice: Any, bob: Any) -> None:
    carol = User.objects.create_user("carol")
    for name in ("g1", "g2"):
        group = Group.objects.create(name=name)
        group.user_set.add(alice, carol)
    Note.objects.create(title="carol's", owner=carol)
    Note.objects.create(title="bob's", owner=bob)
    body = client_for(alice).get("/api/group-notes/").json()
    assert [r["title"] for r in body["results"]] == ["carol's"]
    assert body["count"] == 1


def test_create_with_an_owner_in_the_body_is_rejected(alice: Any, bob: Any) -> None:
    for route in ("/api/notes/", "/api/careless-notes/"):
        response = client_for(alice).post(route, {"title": "t", "owner": bob.pk})
        assert response.status_code == 400, route
        assert "owner" in response.json()["errors"]
    assert not Note.objects.filter(owner=bob).exists()


def test_create_sets_the_owner_from_the_request(alice: Any) -> None:
    response = client_for(alice).post("/api/notes/", {"title": "mine", "body": ""})
    assert response.status_code == 201
    assert Note.objects.get(pk=response.json()["id"]).owner == alice


def test_patch_cannot_transfer_ownership(alice: Any, bob: Any) -> None:
    note = Note.objects.create(title="a", owner=alice)
    response = client_for(alice).patch(f"/api/careless-notes/{note.pk}/", {"owner": bob.pk})
    assert response.status_code == 400
    note.refresh_from_db()
    assert note.owner == alice


def test_staff_put_cannot_reassign_the_owner(alice: Any) -> None:
    staff = User.objects.create_user("staff", is_staff=True)
    note = Note.objects.create(title="a", owner=staff)
    response = client_for(staff).put(
        f"/api/careless-notes/{note.pk}/", {"title": "b", "body": "", "owner": alice.pk}
    )
    assert response.status_code == 400
    note.refresh_from_db()
    assert (note.owner, note.title) == (staff, "a")


def test_a_view_may_explicitly_allow_transfer(alice: Any, bob: Any) -> None:
    note = Note.objects.create(title="a", owner=alice)
    response = client_for(alice).patch(f"/api/transfer-notes/{note.pk}/", {"owner": bob.pk})
    assert response.status_code == 200
    note.refresh_from_db()
    assert note.owner == bob


def test_a_task_cannot_be_created_in_or_moved_into_another_users_project(
    alice: Any, bob: Any
) -> None:
    own = Project.objects.create(name="own", owner=alice)
    foreign = Project.objects.create(name="foreign", owner=bob)
    absent = foreign.pk + 1000
    client = client_for(alice)
    into_foreign = client.post("/api/tasks/", {"project": foreign.pk, "title": "t"})
    into_absent = client.post("/api/tasks/", {"project": absent, "title": "t"})
    assert into_foreign.status_code == into_absent.status_code == 400
    assert into_foreign.json()["errors"]["project"] == [
        m.replace(str(absent), str(foreign.pk)) for m in into_absent.json()["errors"]["project"]
    ]
    task = Task.objects.create(project=own, title="t")
    moved = client.patch(f"/api/tasks/{task.pk}/", {"project": foreign.pk})
    assert moved.status_code == 400
    task.refresh_from_db()
    assert task.project == own
    assert not foreign.tasks.exists()


def test_tasks_are_scoped_through_their_project(alice: Any, bob: Any) -> None:
    foreign_task = Task.objects.create(
        project=Project.objects.create(name="p", owner=bob), title="x"
    )
    own_project = Project.objects.create(name="q", owner=alice)
    client = client_for(alice)
    assert client.get(f"/api/tasks/{foreign_task.pk}/").status_code == 404
    assert client.get("/api/tasks/").json()["count"] == 0
    created = client.post("/api/tasks/", {"project": own_project.pk, "title": "mine"})
    assert created.status_code == 201


def test_unknown_and_read_only_keys_are_listed(alice: Any) -> None:
    response = client_for(alice).post(
        "/api/notes/", {"title": "t", "is_admin": True, "id": 7, "owner": "x"}
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) >= {"is_admin", "id", "owner"}


def test_anonymous_users_reach_nothing(bob_note: Note) -> None:
    client = APIClient()
    for method, url in [
        ("get", "/api/notes/"),
        ("get", f"/api/notes/{bob_note.pk}/"),
        ("post", "/api/notes/"),
        ("patch", f"/api/notes/{bob_note.pk}/"),
        ("delete", f"/api/notes/{bob_note.pk}/"),
        ("get", "/api/tasks/"),
        ("get", "/api/projects/"),
    ]:
        assert getattr(client, method)(url).status_code == 401, (method, url)
    assert owned_by(Note.objects.all(), "owner", None).count() == 0
    assert Note.objects.filter(pk=bob_note.pk).exists()


def test_staff_bypass_reads_but_never_silently(
    alice: Any, bob_note: Note, caplog: pytest.LogCaptureFixture
) -> None:
    staff = User.objects.create_user("staff", is_staff=True)
    received: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        received.append(kwargs)

    owner_bypass_used.connect(receiver)
    try:
        client = client_for(staff)
        assert client.get(f"/api/staff-notes/{bob_note.pk}/").status_code == 200
        assert client.patch(f"/api/staff-notes/{bob_note.pk}/", {"title": "x"}).status_code == 404
        assert client_for(alice).get(f"/api/staff-notes/{bob_note.pk}/").status_code == 404
    finally:
        owner_bypass_used.disconnect(receiver)
    assert len(received) == 1
    assert received[0]["user"] == staff
    assert any(r.__dict__.get("event") == "owner_bypass" for r in caplog.records)


def test_views_with_get_serializer_class_are_scoped(alice: Any, bob: Any) -> None:
    Project.objects.create(name="b", owner=bob)
    Project.objects.create(name="a", owner=alice)
    body = client_for(alice).get("/api/projects/").json()
    assert [r["name"] for r in body["results"]] == ["a"]


@pytest.mark.parametrize(
    ("model", "path", "message"),
    [
        (Note, "", "empty"),
        (Note, "author", "no field"),
        (Note, "title", "not a relation"),
        (Task, "project", "not to the user model"),
    ],
)
def test_a_wrong_owner_path_is_a_clear_configuration_error(
    model: Any, path: str, message: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        resolve_owner_path(model, path)


def test_is_owned_by(alice: Any, bob: Any) -> None:
    task = Task.objects.create(project=Project.objects.create(name="p", owner=alice), title="t")
    assert is_owned_by(task, "project__owner", alice)
    assert not is_owned_by(task, "project__owner", bob)
    assert not is_owned_by(task, "project__owner", None)
    group = Group.objects.create(name="g")
    group.user_set.add(alice)
    note = Note.objects.create(title="n", owner=alice)
    assert is_owned_by(note, "owner__groups__user", alice)
    assert not is_owned_by(note, "owner__groups__user", bob)


def test_unsaved_or_ownerless_objects_are_owned_by_nobody(alice: Any) -> None:
    assert not is_owned_by(Task(title="orphan"), "project__owner", alice)


def test_schema_generation_sees_an_empty_queryset() -> None:
    view = ownership_urls.NoteViewSet()
    view.swagger_fake_view = True  # type: ignore[attr-defined]
    view.request = None  # type: ignore[assignment]
    assert view.get_queryset().count() == 0


def test_a_view_without_queryset_is_a_clear_configuration_error(alice: Any) -> None:
    class NoQueryset(ownership_urls.NoteViewSet):
        queryset = None  # type: ignore[assignment]

    view = NoQueryset()
    with pytest.raises(ImproperlyConfigured, match="needs a `queryset`"):
        view._owner_path()


def test_declared_relations_missing_from_the_serializer_are_ignored(alice: Any) -> None:
    project = Project.objects.create(name="p", owner=alice)
    response = client_for(alice).post("/api/extra-tasks/", {"project": project.pk, "title": "t"})
    assert response.status_code == 201


def test_an_owned_relation_that_is_not_a_relation_is_a_configuration_error(alice: Any) -> None:
    class TitleAsRelation(ownership_urls.TaskViewSet):
        owned_relations = {"title": "owner"}

    view = TitleAsRelation()
    view.request = client_request(alice)
    view.format_kwarg = None
    with pytest.raises(ImproperlyConfigured, match="'title' is not a writable relation"):
        view.get_serializer()


def client_request(user: Any) -> Any:
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    request = Request(APIRequestFactory().get("/"))
    request.user = user
    return request


@pytest.mark.urls("testproject.urls")
def test_the_mixin_gives_a_read_only_viewset_no_write_routes(alice: Any) -> None:
    # A router maps POST/PUT to any viewset that has create()/update(): the mixin must not add
    # them, or a read-only viewset answers a write with a 500 (it did, for /api/keys/{id}/).
    from rest_framework import mixins, viewsets
    from rest_framework.routers import SimpleRouter

    from django_apisec.ownership import OwnedQuerysetMixin

    class ReadOnlyNotes(OwnedQuerysetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
        queryset = Note.objects.all()
        owner_field = "owner"

    router = SimpleRouter()
    router.register("notes", ReadOnlyNotes, basename="ro-note")
    mapped = {method for url in router.urls for method in url.callback.actions}
    assert mapped == {"get"}
    response = client_for(alice).put("/api/keys/null%2Cnull/", {}, format="json")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
