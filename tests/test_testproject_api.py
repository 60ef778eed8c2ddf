"""The testproject's API contract (DESIGN.md): public routes, JWT, owner-scoped resources."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import yaml
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from django_apisec.jwt.families import start_session
from django_apisec.ownership.permissions import is_public
from testproject.api.models import Note, Project, Task
from tests.conftest import PASSWORD

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    # Throttle counters live in the local memory cache and would leak between tests.
    cache.clear()


@pytest.fixture
def client() -> Client:
    return Client()


class Api:
    """A JSON client acting as one user, with a Bearer access token."""

    def __init__(self, client: Client, user: Any) -> None:
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {start_session(user).access}"}

    def get(self, url: str) -> Any:
        return self.client.get(url, **self.headers)

    def post(self, url: str, data: dict[str, Any]) -> Any:
        return self.client.post(url, data, content_type="application/json", **self.headers)

    def put(self, url: str, data: dict[str, Any]) -> Any:
        return self.client.put(url, data, content_type="application/json", **self.headers)

    def patch(self, url: str, data: dict[str, Any]) -> Any:
        return self.client.patch(url, data, content_type="application/json", **self.headers)

    def delete(self, url: str) -> Any:
        return self.client.delete(url, **self.headers)


@pytest.fixture
def as_alice(client: Client, alice: Any) -> Api:
    return Api(client, alice)


@pytest.fixture
def as_bob(client: Client, bob: Any) -> Api:
    return Api(client, bob)


# --- public routes --------------------------------------------------------------------------


def test_health_is_public(client: Client) -> None:
    response = client.get("/api/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_schema_is_public_openapi_3(client: Client) -> None:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert str(schema["openapi"]).startswith("3.")
    paths = set(schema["paths"])
    assert {
        "/api/notes/",
        "/api/notes/{id}/",
        "/api/projects/",
        "/api/projects/{id}/",
        "/api/tasks/",
        "/api/tasks/{id}/",
        "/api/me/",
        "/api/health/",
    } <= paths
    as_json = client.get("/api/schema/?format=json")
    assert as_json.status_code == 200
    assert set(as_json.json()["paths"]) == paths
    # django_apisec.jwt.schema describes JWTSessionAuthentication as a bearer scheme.
    assert schema["components"]["securitySchemes"]["jwtAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    assert {"jwtAuth": []} in schema["paths"]["/api/me/"]["get"]["security"]


def test_login_then_me(client: Client, alice: Any) -> None:
    login = client.post(
        "/api/auth/login/",
        {"username": "alice", "password": PASSWORD},
        content_type="application/json",
    )
    assert login.status_code == 200
    access = login.json()["access"]
    me = client.get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert me.status_code == 200
    assert me.json() == {"id": alice.id, "username": "alice", "email": "alice@example.com"}


def test_login_with_a_wrong_password_is_401(client: Client, alice: Any) -> None:
    login = client.post(
        "/api/auth/login/",
        {"username": "alice", "password": "wrong-password"},
        content_type="application/json",
    )
    assert login.status_code == 401
    assert set(login.json()) == {"detail", "code"}
    assert "access" not in login.json()


def test_a_forged_token_is_refused(client: Client, alice: Any) -> None:
    token = str(start_session(alice).access)
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[::-1]}"
    response = client.get("/api/me/", HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


# --- anonymous requests ---------------------------------------------------------------------

PROTECTED = [
    ("get", "/api/me/"),
    *[
        (method, f"/api/{resource}/")
        for resource in ("notes", "projects", "tasks")
        for method in ("get", "post")
    ],
    *[
        (method, f"/api/{resource}/1/")
        for resource in ("notes", "projects", "tasks")
        for method in ("get", "put", "patch", "delete")
    ],
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url"), PROTECTED)
def test_anonymous_requests_are_401(client: Client, method: str, url: str) -> None:
    response = getattr(client, method)(url, content_type="application/json")
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }


def view_classes(patterns: list[Any]) -> Iterator[type[Any]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from view_classes(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "cls", None)
            if view is not None:
                yield view


def test_every_non_public_api_view_is_covered_by_the_anonymous_test() -> None:
    api = {
        cls
        for cls in view_classes(get_resolver().url_patterns)
        if cls.__module__.startswith("testproject")
    }
    private = {cls for cls in api if not is_public(cls)}
    covered = {resolve(url.split("?")[0]).func.cls for _, url in PROTECTED}  # type: ignore[attr-defined]
    assert private
    assert private <= covered


# --- notes ----------------------------------------------------------------------------------


def test_note_crud(as_alice: Api) -> None:
    created = as_alice.post("/api/notes/", {"title": "t1", "body": "b1"})
    assert created.status_code == 201
    note = created.json()
    assert set(note) == {"id", "title", "body", "owner", "created_at", "updated_at"}
    assert note["owner"] == "alice"
    url = f"/api/notes/{note['id']}/"

    assert as_alice.get(url).json()["title"] == "t1"
    assert as_alice.put(url, {"title": "t2", "body": "b2"}).json()["title"] == "t2"
    assert as_alice.patch(url, {"body": "b3"}).json()["body"] == "b3"
    assert as_alice.delete(url).status_code == 204
    assert as_alice.get(url).status_code == 404


def test_note_owner_cannot_be_chosen_by_the_client(as_alice: Api, bob: Any) -> None:
    created = as_alice.post("/api/notes/", {"title": "mine", "owner": "bob"})
    assert created.status_code == 400
    assert set(created.json()["errors"]) == {"owner"}
    assert not Note.objects.exists()


def test_note_list_shows_only_own_notes(as_alice: Api, alice: Any, bob: Any) -> None:
    Note.objects.create(owner=alice, title="alice 1")
    Note.objects.create(owner=bob, title="bob 1")
    Note.objects.create(owner=alice, title="alice 2")
    page = as_alice.get("/api/notes/").json()
    assert set(page) >= {"count", "next", "previous", "results"}
    assert page["count"] == 2
    assert [n["title"] for n in page["results"]] == ["alice 1", "alice 2"]


def assert_foreign_is_missing(
    api: Api, foreign_url: str, missing_url: str, data: dict[str, Any]
) -> None:
    """Every method on another user's object answers exactly like a nonexistent object."""
    for method, args in (("get", ()), ("put", (data,)), ("patch", (data,)), ("delete", ())):
        foreign = getattr(api, method)(foreign_url, *args)
        missing = getattr(api, method)(missing_url, *args)
        assert foreign.status_code == missing.status_code == 404, method
        assert foreign.content == missing.content, method
        assert foreign.json() == {"detail": "Not found.", "code": "not_found"}


def test_another_users_note_is_missing(as_alice: Api, bob: Any) -> None:
    bobs = Note.objects.create(owner=bob, title="bob's", body="secret")
    missing = bobs.id + 1000
    assert_foreign_is_missing(
        as_alice,
        f"/api/notes/{bobs.id}/",
        f"/api/notes/{missing}/",
        {"title": "pwned", "body": "x"},
    )
    bobs.refresh_from_db()
    assert (bobs.title, bobs.body) == ("bob's", "secret")


# --- projects -------------------------------------------------------------------------------


def test_project_crud(as_alice: Api) -> None:
    created = as_alice.post("/api/projects/", {"name": "p1"})
    assert created.status_code == 201
    project = created.json()
    assert set(project) == {"id", "name", "owner"}
    assert project["owner"] == "alice"
    url = f"/api/projects/{project['id']}/"
    assert as_alice.put(url, {"name": "p2"}).json()["name"] == "p2"
    assert as_alice.patch(url, {"name": "p3"}).json()["name"] == "p3"
    assert as_alice.get(url).json() == {"id": project["id"], "name": "p3", "owner": "alice"}
    assert as_alice.delete(url).status_code == 204
    assert not Project.objects.filter(id=project["id"]).exists()


def test_project_list_shows_only_own_projects(as_alice: Api, alice: Any, bob: Any) -> None:
    Project.objects.create(owner=bob, name="bob's")
    mine = Project.objects.create(owner=alice, name="mine")
    page = as_alice.get("/api/projects/").json()
    assert [p["id"] for p in page["results"]] == [mine.id]


def test_another_users_project_is_missing(as_alice: Api, bob: Any) -> None:
    bobs = Project.objects.create(owner=bob, name="bob's")
    assert_foreign_is_missing(
        as_alice, f"/api/projects/{bobs.id}/", f"/api/projects/{bobs.id + 1000}/", {"name": "pwned"}
    )
    assert Project.objects.get(id=bobs.id).name == "bob's"


# --- tasks ----------------------------------------------------------------------------------


def test_task_crud(as_alice: Api, alice: Any) -> None:
    project = Project.objects.create(owner=alice, name="p")
    other = Project.objects.create(owner=alice, name="q")
    created = as_alice.post("/api/tasks/", {"project": project.id, "title": "t"})
    assert created.status_code == 201
    task = created.json()
    assert task == {"id": task["id"], "project": project.id, "title": "t", "done": False}
    url = f"/api/tasks/{task['id']}/"
    assert as_alice.patch(url, {"done": True}).json()["done"] is True
    moved = as_alice.put(url, {"project": other.id, "title": "t2", "done": False})
    assert moved.json()["project"] == other.id
    assert as_alice.get(url).json()["title"] == "t2"
    assert as_alice.delete(url).status_code == 204


def test_task_list_shows_only_tasks_of_own_projects(as_alice: Api, alice: Any, bob: Any) -> None:
    mine = Task.objects.create(project=Project.objects.create(owner=alice, name="a"), title="mine")
    Task.objects.create(project=Project.objects.create(owner=bob, name="b"), title="bob's")
    page = as_alice.get("/api/tasks/").json()
    assert [t["id"] for t in page["results"]] == [mine.id]


def test_another_users_task_is_missing(as_alice: Api, alice: Any, bob: Any) -> None:
    own = Project.objects.create(owner=alice, name="a")
    bobs = Task.objects.create(project=Project.objects.create(owner=bob, name="b"), title="bob's")
    assert_foreign_is_missing(
        as_alice,
        f"/api/tasks/{bobs.id}/",
        f"/api/tasks/{bobs.id + 1000}/",
        {"project": own.id, "title": "stolen"},
    )
    bobs.refresh_from_db()
    assert (bobs.title, bobs.project.owner) == ("bob's", bob)


def test_task_cannot_go_into_another_users_project(as_alice: Api, bob: Any) -> None:
    bobs = Project.objects.create(owner=bob, name="bob's")
    foreign = as_alice.post("/api/tasks/", {"project": bobs.id, "title": "intruder"})
    assert foreign.status_code == 400
    assert not Task.objects.exists()
    # The same id once the project is gone: the answer must not reveal that it existed.
    bobs_id = bobs.id
    bobs.delete()
    missing = as_alice.post("/api/tasks/", {"project": bobs_id, "title": "intruder"})
    assert missing.status_code == 400
    assert foreign.content == missing.content
    assert foreign.json()["code"] == "invalid"
    assert set(foreign.json()["errors"]) == {"project"}


def test_task_cannot_be_moved_into_another_users_project(
    as_alice: Api, alice: Any, bob: Any
) -> None:
    own = Project.objects.create(owner=alice, name="a")
    task = Task.objects.create(project=own, title="t")
    bobs = Project.objects.create(owner=bob, name="bob's")
    response = as_alice.patch(f"/api/tasks/{task.id}/", {"project": bobs.id})
    assert response.status_code == 400
    task.refresh_from_db()
    assert task.project == own
    assert not bobs.tasks.exists()
