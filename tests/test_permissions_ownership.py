"""Ownership permission classes, alone and composed with &, | and ~."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from django_apisec.ownership.permissions import IsOwner, IsOwnerOrReadOnly, ReadOnly
from testproject.api.models import Note, Project, Task

pytestmark = pytest.mark.django_db


class View:
    owner_field = "owner"


class TaskView:
    owner_field = "project__owner"


@pytest.fixture
def people() -> dict[str, Any]:
    model = get_user_model()
    owner = model.objects.create_user("owner")
    return {
        "anonymous": AnonymousUser(),
        "owner": owner,
        "other": model.objects.create_user("other"),
        "staff": model.objects.create_user("staff", is_staff=True),
        "note": Note.objects.create(title="n", owner=owner),
    }


def decide(
    permission: Any, user: Any, method: str, obj: Any, view: Any = None
) -> tuple[bool, bool]:
    request = Request(getattr(APIRequestFactory(), method.lower())("/"))
    request.user = user
    view = view or View()
    instance = permission()
    return (
        instance.has_permission(request, view),
        instance.has_permission(request, view)
        and instance.has_object_permission(request, view, obj),
    )


# (permission, who, method) -> (view-level allowed, object allowed)
TABLE = [
    (IsOwner, "anonymous", "GET", (False, False)),
    (IsOwner, "owner", "GET", (True, True)),
    (IsOwner, "other", "GET", (True, False)),
    (IsOwner, "other", "DELETE", (True, False)),
    (~IsOwner, "anonymous", "GET", (False, False)),
    (~IsOwner, "owner", "GET", (True, False)),
    (~IsOwner, "other", "GET", (True, True)),
    (~~IsOwner, "other", "GET", (True, False)),
    (IsOwnerOrReadOnly, "anonymous", "GET", (True, True)),
    (IsOwnerOrReadOnly, "anonymous", "PATCH", (False, False)),
    (IsOwnerOrReadOnly, "other", "PATCH", (True, False)),
    (IsOwnerOrReadOnly, "owner", "PATCH", (True, True)),
    (~IsOwnerOrReadOnly, "other", "PATCH", (True, True)),
    (~IsOwnerOrReadOnly, "other", "GET", (True, False)),
    (IsOwner | IsAdminUser, "staff", "DELETE", (True, True)),
    (IsOwner | IsAdminUser, "other", "DELETE", (True, False)),
    (IsOwner | (IsAdminUser & ReadOnly), "staff", "GET", (True, True)),
    (IsOwner | (IsAdminUser & ReadOnly), "staff", "DELETE", (True, False)),
    (IsOwner | (IsAdminUser & ReadOnly), "owner", "DELETE", (True, True)),
    (IsOwner & ReadOnly, "owner", "PUT", (False, False)),
    (IsOwner & ReadOnly, "owner", "GET", (True, True)),
    (IsOwner & ~IsAdminUser, "staff", "GET", (False, False)),
]


@pytest.mark.parametrize(("permission", "who", "method", "expected"), TABLE)
def test_composition(
    people: dict[str, Any], permission: Any, who: str, method: str, expected: tuple[bool, bool]
) -> None:
    assert decide(permission, people[who], method, people["note"]) == expected


def test_owner_through_a_relation(people: dict[str, Any]) -> None:
    task = Task.objects.create(project=Project.objects.create(name="p", owner=people["owner"]))
    assert decide(IsOwner, people["owner"], "GET", task, TaskView()) == (True, True)
    assert decide(IsOwner, people["other"], "GET", task, TaskView()) == (True, False)


def test_owner_field_defaults_to_owner(people: dict[str, Any]) -> None:
    assert decide(IsOwner, people["owner"], "GET", people["note"], object()) == (True, True)
