"""The views audit: each view of tests/audit_urls.py yields exactly its ids, once."""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, path, re_path
from django.urls.resolvers import RoutePattern
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny, IsAuthenticated

from django_apisec.checks import MESSAGES, views_audit
from django_apisec.checks.views_audit import routes as audit_routes
from testproject.api.models import Note, Task
from tests import audit_views as v

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

    from tests.conftest import DeployIds

AUDIT_CHECKS = [
    views_audit.check_view_querysets,
    views_audit.check_direct_lookups,
    views_audit.check_inventory,
    views_audit.check_anonymous_access,
    views_audit.check_object_scoping,
    views_audit.check_serializer_field_lists,
    views_audit.check_serialized_secrets,
    views_audit.check_writable_owner,
    views_audit.check_filter_fields,
]
# The views audit's ids (apisec.W560, the API-key scope finding, is declared and tested with the
# API key checks: tests/test_checks_apikeys.py).
# W560 (API key scopes) and E517-E539 (passkeys) share the 5xx hundred but judge no view code.
PASSKEY_IDS = {f"apisec.E{n}" for n in range(517, 540)}
AUDIT_IDS = {i for i in MESSAGES if i.startswith(("apisec.E5", "apisec.W5"))} - {
    "apisec.W560",
    *PASSKEY_IDS,
}

EXPECTED: dict[Any, set[str]] = {
    # E501: anonymous access
    v.OpenView: {"apisec.E501"},
    v.PublicView: set(),
    v.OrOpenView: {"apisec.E501"},
    v.AndClosedView: set(),
    v.NotClosedView: set(),
    v.ReadOnlyForAnonymousView: {"apisec.E501"},
    v.PostOnlyForAnonymousView: {"apisec.E501"},
    v.NoPermissionsView: {"apisec.E501"},
    v.ClosedView: set(),
    v.ExplodingPermissionView: set(),
    v.ExplodingInitView: set(),
    v.NoMethodsView: set(),
    v.MethodsDisabledView: set(),
    # Task is owned through project__owner: its unscoped detail routes are E502 (issue 10).
    v.ReadOnlyViaMethodsViewSet: {"apisec.E502"},
    v.ListOpenViewSet: {"apisec.E501", "apisec.E502"},
    v.PublicViewSet: {"apisec.E502"},
    v.open_function.cls: {"apisec.E501"},
    v.public_function.cls: set(),
    # E502: object scoping
    v.UnscopedNoteViewSet: {"apisec.E502"},
    v.OwnerFieldNoteViewSet: set(),
    v.MixinScopedNoteViewSet: set(),
    v.ObjectPermissionNoteDetail: set(),
    # IsOwner.has_permission admits everyone, so the OR admits anonymous clients too.
    v.OrObjectPermissionNoteDetail: {"apisec.E501", "apisec.E502"},
    v.NotObjectPermissionNoteDetail: {"apisec.E502"},
    v.FilterBackendNoteDetail: set(),
    v.StockFilterNoteDetail: {"apisec.E502"},
    v.SlugNoteDetail: {"apisec.E502"},
    v.NoteList: set(),
    v.UnownedTaskDetail: {"apisec.E502"},
    v.NoQuerysetDetail: set(),
    # E503 / W504: field lists
    # Their writable ``project`` accepts every user's projects (E512, issue 10).
    v.AllFieldsTaskList: {"apisec.E503", "apisec.E512"},
    v.ExcludeTaskList: {"apisec.E512", "apisec.W504"},
    v.NestedAllProjectList: {"apisec.E503"},
    v.NestedExcludeTaskList: {"apisec.W504"},
    # E505 / E506 / E507: ordering, filtering, searching
    v.OrderingAllTaskList: {"apisec.E505"},
    v.FiltersetAllTaskList: {"apisec.E506"},
    v.SecretSearchNoteList: {"apisec.E507"},
    v.SecretOrderingNoteList: {"apisec.E507"},
    v.SecretFiltersetNoteList: {"apisec.E507"},
    v.HarmlessLookupsNoteList: set(),
    # E508: secrets in serialized responses
    v.PasswordUserList: {"apisec.E508"},
    v.WriteOnlyPasswordUserCreate: set(),
    v.RenamedSecretUserList: {"apisec.E508"},
    v.TokenIssuingView: set(),
    # E509: writable owner
    v.WritableOwnerNoteCreate: {"apisec.E509"},
    v.ReadOnlyOwnerNoteCreate: set(),
    v.ExtraReadOnlyOwnerNoteCreate: set(),
    v.HiddenOwnerNoteCreate: set(),
    v.AliasedOwnerNoteCreate: {"apisec.E509"},
    v.WritableNestedTaskCreate: {"apisec.E509"},
    # E510 / W513: querysets built for two users
    v.SameForEveryoneNoteList: {"apisec.E510"},
    v.UserFilteredNoteList: set(),
    v.KwargNeedingNoteList: {"apisec.W513"},
    v.DatabaseTouchingNoteList: {"apisec.W513"},
    v.ListReturningNoteList: {"apisec.W513"},
    # E511: lookups in method bodies
    v.DirectLookupNoteView: {"apisec.E511"},
    v.ScopedLookupNoteView: set(),
    # W515 (W516 has no view: the admin is a URLconf entry)
    v.PublicSchemaView: {"apisec.W515"},
    v.StaffSchemaView: set(),
    None: {"apisec.W516"},
    # Several at once, each once although two routers give it eight routes.
    v.AllFieldsNoteViewSet: {
        "apisec.E501",
        "apisec.E502",
        "apisec.E503",
        "apisec.E505",
        "apisec.E509",
    },
}


def run_audit() -> list[CheckMessage]:
    """Every views-audit check on the current URLconf."""
    return [message for check in AUDIT_CHECKS for message in check()]


@pytest.fixture(scope="module")
def audit_messages() -> list[CheckMessage]:
    with override_settings(ROOT_URLCONF="tests.audit_urls"):
        return run_audit()


@pytest.fixture(scope="module")
def ids_by_view(audit_messages: list[CheckMessage]) -> dict[Any, list[str]]:
    found: dict[Any, list[str]] = defaultdict(list)
    for message in audit_messages:
        found[message.obj].append(message.id)
    return found


def message_for(messages: list[CheckMessage], view: Any, id_: str) -> CheckMessage:
    (message,) = [m for m in messages if m.obj is view and m.id == id_]
    return message


@pytest.mark.parametrize(
    ("view", "expected"),
    list(EXPECTED.items()),
    ids=[getattr(c, "__name__", "admin") for c in EXPECTED],
)
def test_each_view_yields_exactly_its_ids_once(
    ids_by_view: dict[Any, list[str]], view: Any, expected: set[str]
) -> None:
    assert sorted(ids_by_view.get(view, [])) == sorted(expected)


def test_no_view_outside_the_table_is_reported(ids_by_view: dict[Any, list[str]]) -> None:
    assert set(ids_by_view) <= set(EXPECTED)


def test_the_table_covers_every_audit_id() -> None:
    # apisec.E514 is about a setting, not a view (test_audit_report.py).
    assert set().union(*EXPECTED.values()) == AUDIT_IDS - {"apisec.E514"}


def test_messages_name_the_route_and_the_methods(audit_messages: list[CheckMessage]) -> None:
    post_only = message_for(audit_messages, v.PostOnlyForAnonymousView, "apisec.E501")
    assert "audit/post-only/ " in post_only.msg
    assert "(POST)" in post_only.msg
    read_only = message_for(audit_messages, v.ReadOnlyForAnonymousView, "apisec.E501")
    assert "(GET)" in read_only.msg
    viewset = message_for(audit_messages, v.AllFieldsNoteViewSet, "apisec.E501")
    assert "(GET)" in viewset.msg
    assert "audit/router/all-notes/" in viewset.msg
    function = message_for(audit_messages, v.open_function.cls, "apisec.E501")
    assert function.msg.startswith("tests.audit_views.open_function at audit/open-function/ ")
    no_permissions = message_for(audit_messages, v.NoPermissionsView, "apisec.E501")
    assert "(DELETE)" in no_permissions.msg


def test_detail_message_names_the_detail_route_and_model(
    audit_messages: list[CheckMessage],
) -> None:
    message = message_for(audit_messages, v.UnscopedNoteViewSet, "apisec.E502")
    assert "audit/router/unscoped-notes/(?P<pk>[^/.]+)/ " in message.msg
    assert "api.Note" in message.msg
    regex = message_for(audit_messages, v.OrObjectPermissionNoteDetail, "apisec.E502")
    assert "audit/detail/or-object-permission/(?P<pk>\\d+)/ " in regex.msg


def test_messages_name_the_fields_and_serializers(audit_messages: list[CheckMessage]) -> None:
    nested = message_for(audit_messages, v.NestedAllProjectList, "apisec.E503")
    assert "tests.audit_views.AllTaskSerializer" in nested.msg
    secret = message_for(audit_messages, v.RenamedSecretUserList, "apisec.E508")
    assert "RenamedSecretUserSerializer.pw" in secret.msg
    assert "RenamedSecretUserSerializer.api_key" in secret.msg
    lookups = message_for(audit_messages, v.SecretSearchNoteList, "apisec.E507")
    assert "owner__password" in lookups.msg
    assert "title" not in lookups.msg.split("(")[1]
    owner = message_for(audit_messages, v.AliasedOwnerNoteCreate, "apisec.E509")
    assert "AliasedOwnerNoteSerializer.user" in owner.msg
    assert "{" not in owner.hint


def test_registered_as_deploy_checks(deploy_ids: DeployIds) -> None:
    # The production testproject authenticates API keys, and no audit view declares scopes.
    with_suppression = {"APISEC_AUDIT_SUPPRESSIONS": [{"id": "apisec.W515"}]}
    found = deploy_ids(ROOT_URLCONF="tests.audit_urls", **with_suppression) - deploy_ids()
    assert found == AUDIT_IDS | {"apisec.W560"}


def test_testproject_production_passes_the_audit(deploy_ids: DeployIds) -> None:
    assert deploy_ids() & AUDIT_IDS == set()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("password", True),
        ("user__password", True),
        ("password_hash", True),
        ("Refresh_Token", True),
        ("client_secret", True),
        ("api_key", True),
        ("owner__private_key", True),
        ("apikey", True),
        ("passwordless", False),
        ("tokens", False),
        ("key", False),
        ("monkey", False),
        ("title", False),
    ],
)
def test_secret_field_names(name: str, expected: bool) -> None:
    assert views_audit.looks_secret(name) is expected


def test_lookup_names_treat_any_key_as_secret() -> None:
    words = views_audit.LOOKUP_SECRET_WORDS
    assert views_audit.looks_secret("owner__signing_key", words, frozenset())
    assert not views_audit.looks_secret("owner__keyboard", words, frozenset())


# --- never crash ----------------------------------------------------------------------------


def audit_patterns(monkeypatch: pytest.MonkeyPatch, patterns: list[Any]) -> list[CheckMessage]:
    """Run the audit over ``patterns`` as the project's root URLconf."""
    monkeypatch.setattr(
        audit_routes, "get_resolver", lambda: URLResolver(RoutePattern(""), patterns)
    )
    return run_audit()


def weird_view(**attributes: Any) -> type[Any]:
    base = (generics.GenericAPIView,)
    return type("WeirdView", base, {"get": lambda self, request: None, **attributes})


class NotAModelSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = "not.a.Model"
        fields = "__all__"


class BrokenFieldsSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Note
        fields = 42
        read_only_fields = "owner"
        extra_kwargs = {"owner": "read_only"}


class NoMetaSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    pass


class NoModelSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        fields = ["owner"]


@pytest.mark.parametrize(
    "attributes",
    [
        {"permission_classes": None},
        {"permission_classes": "rest_framework.permissions.AllowAny"},
        {"permission_classes": [42]},
        {"permission_classes": SimpleLazyObject(lambda: [AllowAny])},
        {"serializer_class": "testproject.api.serializers.NoteSerializer"},
        {"serializer_class": None},
        {"serializer_class": serializers.BaseSerializer},
        {"serializer_class": NotAModelSerializer},
        {"serializer_class": BrokenFieldsSerializer},
        {"serializer_class": NoMetaSerializer},
        {"serializer_class": NoModelSerializer},
        {"search_fields": "password"},
        {"search_fields": [None, 3, gettext_lazy("password")]},
        {"ordering_fields": gettext_lazy("title")},
        {"ordering_fields": SimpleLazyObject(lambda: ["password"])},
        {"filterset_fields": 42},
        {"filterset_fields": {1: ["exact"]}},
        {"queryset": Note.objects.all(), "lookup_field": None, "lookup_url_kwarg": None},
        {"queryset": Note.objects.all(), "lookup_field": 3},
        {"queryset": SimpleNamespace(model=object)},
        {"queryset": Note.objects.all(), "filter_backends": "not a list"},
        {"queryset": Note.objects.all(), "filter_backends": None, "permission_classes": None},
        {"queryset": Note.objects.all(), "owner_field": gettext_lazy("owner")},
        {"initkwargs_are_ignored": True},
        {"http_method_names": "get", "permission_classes": [AllowAny]},
    ],
    ids=",".join,
)
def test_weird_view_attributes_never_crash(
    monkeypatch: pytest.MonkeyPatch, attributes: dict[str, Any]
) -> None:
    view = weird_view(**attributes)
    messages = audit_patterns(monkeypatch, [path("weird/<int:pk>/", view.as_view())])
    assert all(m.obj is view for m in messages)


def test_weird_urlconf_entries_never_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    def raise_error() -> None:
        raise RuntimeError("lazy callback fails")

    loop: list[Any] = []
    loop.append(URLResolver(RoutePattern("loop/"), loop))
    patterns = [
        re_path(r"^(unclosed/", v.OpenView.as_view()),
        URLPattern(RoutePattern("lazy/"), SimpleLazyObject(raise_error)),
        path("plain/", v.django_function),
        URLResolver(RoutePattern("loop/"), loop),
        "not a pattern",
        SimpleNamespace(pattern=RoutePattern("look-alike/"), callback=v.OpenView.as_view()),
        path(gettext_lazy("open/"), v.OpenView.as_view()),
    ]
    messages = audit_patterns(monkeypatch, patterns)
    assert [(m.id, m.obj) for m in messages] == [("apisec.E501", v.OpenView)]
    assert "open/ " in messages[0].msg


def test_unimportable_urlconf_is_left_to_django() -> None:
    with override_settings(ROOT_URLCONF="tests.no_such_urlconf"):
        assert run_audit() == []


def test_unusable_root_urlconf_is_left_to_django() -> None:
    with override_settings(ROOT_URLCONF=["not", "hashable"]):
        assert run_audit() == []


def test_missing_user_model_skips_owner_checks() -> None:
    with override_settings(AUTH_USER_MODEL="nosuchapp.User"):
        assert views_audit.user_model() is None
        assert views_audit.owner_fields(Note) == []


def test_owner_fields() -> None:
    assert views_audit.owner_fields(Note) == ["owner"]
    assert views_audit.owner_fields(Task) == []
    assert views_audit.owner_fields(object) == []


def test_scopes_objects_evaluates_compositions() -> None:
    assert views_audit.scopes_objects(v.IsOwner)
    assert views_audit.scopes_objects(IsAuthenticated & v.IsOwner)
    assert views_audit.scopes_objects(v.IsOwner | v.IsOwner)
    assert not views_audit.scopes_objects(IsAuthenticated | v.IsOwner)
    assert not views_audit.scopes_objects(~v.IsOwner)
    assert not views_audit.scopes_objects(IsAuthenticated)
    assert not views_audit.scopes_objects("IsOwner")


# --- a thousand routes ----------------------------------------------------------------------
# How long the audit takes at 1,000 (and 5,000) routes is measured by bench/deploy_gate_scale.py,
# not here: a timed unit test measures the machine's load, not the audit.


def test_a_thousand_routes_report_each_open_view_once() -> None:
    with override_settings(ROOT_URLCONF="tests.audit_bench_urls"):
        assert len(get_resolver().url_patterns) == 501
        messages = run_audit()
    # Every distinct class is audited: the 500 open views are each reported once.
    assert len([m for m in messages if m.id == "apisec.E501"]) == 500
