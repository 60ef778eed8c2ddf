"""API keys on the testproject: the contract, and an attack test per security property."""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from django_apisec.apikeys import keys
from django_apisec.apikeys.authentication import ApiKeyAuthentication
from django_apisec.apikeys.keys import issue_key, revoke_key, rotate_key
from django_apisec.apikeys.scopes import scope_allows
from django_apisec.models import APIKey, TokenFamily
from testproject.api.models import Note
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

KEYS = "/api/keys/"
NOTES = "/api/notes/"
ALL_SCOPES = ["notes:read", "notes:write", "projects:read", "projects:write"]


def bearer(username: str) -> str:
    response = APIClient().post(
        "/api/auth/login/", {"username": username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    return f"Bearer {response.json()['access']}"


def create(token: str, **fields: Any) -> Any:
    body = {"name": "ci", "scopes": ["notes:read"], **fields}
    return APIClient().post(KEYS, body, format="json", HTTP_AUTHORIZATION=token)


def with_key(key: str, method: str = "get", path: str = NOTES, **extra: Any) -> Any:
    client = APIClient()
    return getattr(client, method)(path, HTTP_AUTHORIZATION=f"Api-Key {key}", **extra)


@pytest.fixture
def alice_token(alice: Any) -> str:
    return bearer("alice")


# --- the contract ------------------------------------------------------------------------------


def test_a_stale_login_cannot_create_or_revoke_keys(alice: Any) -> None:
    # The attack: a stolen access token (its login an hour old) mints itself a long-lived key,
    # or revokes the owner's keys.
    client = APIClient()
    fresh = bearer("alice")
    existing = create(fresh).json()["id"]
    login = client.post(
        "/api/auth/login/", {"username": "alice", "password": PASSWORD}, format="json"
    )
    assert login.status_code == 200
    TokenFamily.objects.update(auth_time=timezone.now() - timedelta(hours=1))
    stale = f"Bearer {client.post('/api/auth/refresh/').json()['access']}"
    response = create(stale)
    assert response.status_code == 403
    assert response.json()["code"] == "reauthentication_required"
    revoke = client.delete(f"{KEYS}{existing}/", HTTP_AUTHORIZATION=stale)
    assert revoke.status_code == 403
    assert APIKey.objects.filter(user=alice).count() == 1
    assert not APIKey.objects.get(pk=existing).revoked
    # Listing is not a change: the stale token still sees the keys (never the secrets).
    assert client.get(KEYS, HTTP_AUTHORIZATION=stale).status_code == 200


def test_create_shows_the_key_once_and_list_never(alice_token: str) -> None:
    response = create(alice_token, scopes=["notes:read", "notes:write"])
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id",
        "name",
        "prefix",
        "key",
        "scopes",
        "expires_at",
        "allowed_ips",
        "created_at",
    }
    assert body["key"].startswith(body["prefix"] + ".")
    listed = APIClient().get(KEYS, HTTP_AUTHORIZATION=alice_token).json()
    [item] = listed["results"] if isinstance(listed, dict) else listed
    assert "key" not in item
    assert item["last_used_at"] is None
    assert item["revoked"] is False
    assert body["key"] not in str(listed)


@pytest.mark.parametrize(
    "fields",
    [
        {"scopes": ["notes:admin"]},
        {"scopes": ["*"]},
        {"allowed_ips": ["not-a-network"]},
        {"expires_at": "2000-01-01T00:00:00Z"},
        {"owner": 1},
        {"user": 1},
    ],
)
def test_invalid_creation_is_a_400(alice_token: str, fields: dict[str, Any]) -> None:
    assert create(alice_token, **fields).status_code == 400
    assert not APIKey.objects.exists()


def test_a_key_acts_as_its_owner_within_scope(alice: Any, alice_token: str) -> None:
    key = create(alice_token, scopes=["notes:read", "notes:write"]).json()["key"]
    created = with_key(key, "post", data={"title": "t", "body": "b"}, format="json")
    assert created.status_code == 201
    assert created.json()["owner"] == "alice"
    assert with_key(key, path="/api/me/").json()["username"] == "alice"


def test_me_accepts_any_valid_key(alice: Any) -> None:
    _row, key = issue_key(alice, name="no scopes")
    assert with_key(key, path="/api/me/").status_code == 200
    assert with_key(key).status_code == 403  # ...and nothing else


def test_a_session_is_not_limited_by_scopes(alice_token: str) -> None:
    response = APIClient().post(
        NOTES, {"title": "t"}, format="json", HTTP_AUTHORIZATION=alice_token
    )
    assert response.status_code == 201


def test_last_used_is_written_at_most_once_a_minute(alice: Any) -> None:
    row, key = issue_key(alice, name="k", scopes=["notes:read"])
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            assert with_key(key).status_code == 200
    updates = [q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "apikey" in q["sql"]]
    assert len(updates) == 1
    row.refresh_from_db()
    assert row.last_used_at is not None
    # A minute later, one more write.
    later = timezone.now() + timedelta(seconds=61)
    with mock.patch("django_apisec.apikeys.authentication.timezone.now", return_value=later):
        assert with_key(key).status_code == 200
    row.refresh_from_db()
    assert row.last_used_at == later


def test_deleting_another_users_key_is_a_404(alice: Any, bob: Any) -> None:
    row, _key = issue_key(bob, name="bob's")
    response = APIClient().delete(f"{KEYS}{row.pk}/", HTTP_AUTHORIZATION=bearer("alice"))
    assert response.status_code == 404
    row.refresh_from_db()
    assert row.revoked is False


# --- attack tests -------------------------------------------------------------------------------


def test_a_dump_of_the_key_table_cannot_authenticate(alice: Any) -> None:
    row, key = issue_key(alice, name="k", scopes=["notes:read"])
    dumped = {f.attname: str(getattr(row, f.attname)) for f in APIKey._meta.concrete_fields}
    secret = key.split(".", 1)[1]
    assert not any(secret in value for value in dumped.values())
    hashed = dumped["hashed_key"]
    for forged in (
        hashed,
        hashed.split("$$")[-1],
        f"{row.prefix}.{hashed.split('$$')[-1]}",
        f"{row.prefix}.{hashed[:32]}",
        row.prefix,
        str(row.pk),
    ):
        assert with_key(forged).status_code == 401, forged
    assert with_key(key).status_code == 200


def test_a_read_only_key_cannot_write(alice: Any) -> None:
    note = Note.objects.create(owner=alice, title="mine")
    _row, key = issue_key(alice, name="ro", scopes=["notes:read"])
    assert with_key(key).status_code == 200
    attempts = [
        with_key(key, "post", data={"title": "x"}, format="json"),
        with_key(key, "put", path=f"{NOTES}{note.pk}/", data={"title": "x"}, format="json"),
        with_key(key, "patch", path=f"{NOTES}{note.pk}/", data={"title": "x"}, format="json"),
        with_key(key, "delete", path=f"{NOTES}{note.pk}/"),
        with_key(key, path="/api/projects/"),  # another resource
    ]
    assert [r.status_code for r in attempts] == [403] * 5
    assert {r.json()["code"] for r in attempts} == {"api_key_scope"}
    note.refresh_from_db()
    assert note.title == "mine"
    assert Note.objects.count() == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/auth/login/"),
        ("post", "/api/auth/refresh/"),
        ("post", "/api/auth/logout/"),
        ("post", "/api/auth/logout-all/"),
        ("post", "/api/auth/password/"),
        ("get", KEYS),
        ("post", KEYS),
        ("delete", f"{KEYS}00000000-0000-0000-0000-000000000000/"),
    ],
)
def test_a_key_cannot_reach_auth_or_key_endpoints(alice: Any, method: str, path: str) -> None:
    _row, key = issue_key(alice, name="all", scopes=ALL_SCOPES)
    body = {
        "username": "alice",
        "password": PASSWORD,
        "old_password": PASSWORD,
        "new_password": "another long passphrase 42",
        "name": "x",
        "scopes": [],
    }
    response = with_key(key, method, path=path, data=body, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "api_key_not_allowed"
    # Even a malformed key: the endpoint refuses whatever follows the scheme.
    assert with_key("junk", method, path=path).json()["code"] == "api_key_not_allowed"
    assert APIKey.objects.count() == 1
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_alices_key_cannot_see_bobs_objects(alice: Any, bob: Any) -> None:
    theirs = Note.objects.create(owner=bob, title="bob's")
    _row, key = issue_key(alice, name="k", scopes=["notes:read", "notes:write"])
    assert with_key(key, path=f"{NOTES}{theirs.pk}/").status_code == 404
    assert with_key(key, "delete", path=f"{NOTES}{theirs.pk}/").status_code == 404
    listed = with_key(key).json()
    assert "bob's" not in str(listed)
    assert Note.objects.filter(pk=theirs.pk).exists()


def test_a_revoked_key_fails_at_once(alice: Any, alice_token: str) -> None:
    created = create(alice_token).json()
    assert with_key(created["key"]).status_code == 200
    response = APIClient().delete(f"{KEYS}{created['id']}/", HTTP_AUTHORIZATION=alice_token)
    assert response.status_code == 204
    assert with_key(created["key"]).status_code == 401


def test_an_expired_key_fails(alice: Any) -> None:
    _row, key = issue_key(
        alice, name="k", scopes=["notes:read"], expires_at=timezone.now() + timedelta(hours=1)
    )
    assert with_key(key).status_code == 200
    later = timezone.now() + timedelta(hours=1, seconds=1)
    with mock.patch("django_apisec.apikeys.authentication.timezone.now", return_value=later):
        assert with_key(key).status_code == 401


@override_settings(APISEC_TRUSTED_PROXIES=["127.0.0.1/32"])
def test_a_key_from_a_disallowed_network_fails_even_with_a_forged_forwarded_for(
    alice: Any,
) -> None:
    _row, key = issue_key(alice, name="k", scopes=["notes:read"], allowed_ips=["203.0.113.0/24"])
    # Direct connection from outside the network, forging the header: not believed.
    direct = with_key(key, REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert direct.status_code == 401
    # Through the trusted proxy, which appended the real address after the forged one.
    proxied = with_key(
        key, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5, 198.51.100.7"
    )
    assert proxied.status_code == 401
    # The real client in the network, through the proxy, is admitted.
    allowed = with_key(key, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert allowed.status_code == 200


@pytest.mark.parametrize("name", ["api_key", "apikey", "API_KEY", "x-api-key"])
def test_a_key_in_the_query_string_is_refused(alice: Any, name: str) -> None:
    _row, key = issue_key(alice, name="k", scopes=["notes:read"])
    response = APIClient().get(NOTES, {name: key})
    assert response.status_code == 400
    assert response.json()["code"] == "api_key_in_query"
    # ...also next to a valid header: the key has leaked, the client must hear it.
    assert with_key(key, data={name: key}).status_code == 400


def failure_kinds(alice: Any) -> dict[str, dict[str, Any]]:
    """One request per failure kind: the key and the request's extra arguments."""
    revoked, revoked_key = issue_key(alice, name="r", scopes=["notes:read"])
    revoke_key(revoked, by="test")
    expired, expired_key = issue_key(alice, name="e", scopes=["notes:read"])
    APIKey.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    _bound, bound_key = issue_key(
        alice, name="b", scopes=["notes:read"], allowed_ips=["10.9.0.0/16"]
    )
    valid, valid_key = issue_key(alice, name="v", scopes=["notes:read"])
    return {
        "unknown prefix": {"key": "ZZZZZZZZ." + "a" * 32},
        "wrong secret": {"key": f"{valid.prefix}." + "a" * 32},
        "malformed": {"key": "not-a-key"},
        "too long": {"key": f"{valid_key}" * 40},
        "revoked": {"key": revoked_key},
        "expired": {"key": expired_key},
        "ip": {"key": bound_key, "REMOTE_ADDR": "192.0.2.1"},
    }


def test_every_failure_kind_answers_the_same_401(alice: Any) -> None:
    answers = set()
    for kind, spec in failure_kinds(alice).items():
        extra = {k: v for k, v in spec.items() if k != "key"}
        response = with_key(spec["key"], **extra)
        assert response.status_code == 401, kind
        answers.add((response.content, response["WWW-Authenticate"]))
    # The WWW-Authenticate header names the first authentication class (Bearer), for all alike.
    assert answers == {
        (b'{"detail":"Invalid API key.","code":"api_key_invalid"}', 'Bearer realm="api"')
    }


def test_every_failure_kind_does_the_same_work(alice: Any) -> None:
    # Same time = same work: one query by prefix and one hash comparison, whatever the failure.
    work = set()
    for kind, spec in failure_kinds(alice).items():
        with (
            mock.patch.object(keys.HASHER, "verify", wraps=keys.HASHER.verify) as verify,
            CaptureQueriesContext(connection) as queries,
        ):
            assert keys.find_key(spec["key"]) is None or kind in {"revoked", "expired", "ip"}
        work.add((len(queries), verify.call_count))
    assert work == {(1, 1)}


@pytest.mark.usefixtures("api_key_settings")
def test_the_per_key_throttle_admits_its_rate(alice: Any, api_key_settings: dict[str, Any]) -> None:
    rates = {**api_key_settings["DEFAULT_THROTTLE_RATES"], "api_key": "3/min"}
    _row, key = issue_key(alice, name="k", scopes=["notes:read"])
    _row2, other = issue_key(alice, name="other", scopes=["notes:read"])
    with override_settings(REST_FRAMEWORK={**api_key_settings, "DEFAULT_THROTTLE_RATES": rates}):
        statuses = [with_key(key).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = with_key(key)
        assert int(limited["Retry-After"]) > 0
        assert '"api_key";q=3;w=60' in limited["RateLimit-Policy"]
        # Each key has its own bucket.
        assert with_key(other).status_code == 200


@override_settings(APISEC_API_KEY_HTTPS_ONLY=True)
def test_a_key_over_plain_http_is_refused(alice: Any) -> None:
    _row, key = issue_key(alice, name="k", scopes=["notes:read"])
    response = with_key(key)
    assert response.status_code == 401
    assert response.json()["code"] == "api_key_insecure_transport"
    assert with_key(key, secure=True).status_code == 200


def test_an_inactive_owners_keys_fail(alice: Any) -> None:
    _row, key = issue_key(alice, name="k", scopes=["notes:read"])
    alice.is_active = False
    alice.save()
    assert with_key(key).status_code == 401


# --- rotation and the command ------------------------------------------------------------------


@override_settings(APISEC_API_KEY_ROTATION_OVERLAP=600)
def test_rotation_keeps_the_old_key_for_the_overlap_only(alice: Any) -> None:
    old, old_key = issue_key(alice, name="k", scopes=["notes:read"])
    new, new_key = rotate_key(old)
    assert (new.name, new.scopes, new.user) == (old.name, old.scopes, old.user)
    assert with_key(old_key).status_code == 200
    assert with_key(new_key).status_code == 200
    later = timezone.now() + timedelta(seconds=601)
    with mock.patch("django_apisec.apikeys.authentication.timezone.now", return_value=later):
        assert with_key(old_key).status_code == 401
        assert with_key(new_key).status_code == 200


def test_the_command_creates_lists_rotates_and_revokes(alice: Any, capsys: Any) -> None:
    call_command(
        "apisec_keys",
        "create",
        "alice",
        "deploy",
        "--scope",
        "notes:read",
        "--expires-in-days",
        "30",
    )
    key = capsys.readouterr().out.strip()
    assert with_key(key).status_code == 200
    prefix = key.split(".")[0]
    call_command("apisec_keys", "list", "--user", "alice")
    listed = capsys.readouterr().out
    assert prefix in listed
    assert key.split(".")[1] not in listed
    call_command("apisec_keys", "rotate", prefix, "--overlap-minutes", "0")
    successor = capsys.readouterr().out.strip()
    assert with_key(successor).status_code == 200
    assert with_key(key).status_code == 401  # no overlap: expired at once
    call_command("apisec_keys", "revoke", successor.split(".")[0])
    assert "revoked" in capsys.readouterr().out
    assert with_key(successor).status_code == 401
    call_command("apisec_keys", "list")
    assert "revoked" in capsys.readouterr().out


# --- edges ----------------------------------------------------------------------------------------


def test_a_view_without_scopes_admits_no_key() -> None:
    assert scope_allows(["notes:read"], object(), "GET") is False
    assert scope_allows(["notes:read"], None, "GET") is False


def test_the_key_scheme_is_announced_when_it_is_the_first_class() -> None:
    assert ApiKeyAuthentication().authenticate_header(None) == 'Api-Key realm="api"'


def test_a_future_expiry_is_kept(alice_token: str) -> None:
    response = create(alice_token, expires_at="2999-01-01T00:00:00Z", allowed_ips=["10.0.0.1"])
    assert response.status_code == 201
    expires = datetime.fromisoformat(response.json()["expires_at"])
    assert expires == datetime(2999, 1, 1, tzinfo=dt_timezone.utc)
    assert response.json()["allowed_ips"] == ["10.0.0.1/32"]


def test_unusable_networks_and_addresses_allow_nothing(alice: Any) -> None:
    row, _key = issue_key(alice, name="k", allowed_ips=["10.0.0.0/8"])
    row.allowed_ips = ["not a network"]  # a row edited by hand
    assert keys.address_allowed(row, "10.0.0.1") is False
    row.allowed_ips = ["10.0.0.0/8"]
    assert keys.address_allowed(row, "unknown") is False
    assert keys.address_allowed(row, "10.1.2.3") is True


def test_issuing_validates_scopes_and_revoking_twice_is_a_no_op(alice: Any) -> None:
    with pytest.raises(ValueError, match="Unknown scopes: admin"):
        issue_key(alice, name="k", scopes=["admin"])
    row, _key = issue_key(alice, name="k")
    assert str(row) == f"k ({row.prefix})"
    assert revoke_key(row, by="test") is True
    assert revoke_key(row, by="test") is False


def test_rotation_keeps_an_earlier_expiry(alice: Any) -> None:
    soon = timezone.now() + timedelta(seconds=30)
    old, _key = issue_key(alice, name="k", expires_at=soon)
    rotate_key(old, overlap=3600)
    old.refresh_from_db()
    assert old.expires_at == soon


def test_the_command_reports_mistakes(alice: Any, capsys: Any) -> None:
    with pytest.raises(CommandError, match="No user"):
        call_command("apisec_keys", "create", "nobody", "k")
    with pytest.raises(CommandError, match="Unknown scopes"):
        call_command("apisec_keys", "create", "alice", "k", "--scope", "admin")
    with pytest.raises(CommandError, match="No API key"):
        call_command("apisec_keys", "revoke", "ZZZZZZZZ")
    row, _key = issue_key(alice, name="k")
    call_command("apisec_keys", "revoke", row.prefix)
    call_command("apisec_keys", "revoke", row.prefix)
    assert capsys.readouterr().out.endswith(f"{row.prefix}: was already revoked\n")
    with pytest.raises(CommandError, match="is revoked"):
        call_command("apisec_keys", "rotate", row.prefix)


def test_the_admin_lists_and_revokes_but_never_adds_edits_or_deletes(alice: Any) -> None:
    admin_user = get_user_model().objects.create_superuser("root", "r@example.com", PASSWORD)
    row, key = issue_key(alice, name="k", scopes=["notes:read"])
    client = Client()
    client.force_login(admin_user)
    changelist = "/admin/django_apisec/apikey/"
    listing = client.get(changelist)
    assert listing.status_code == 200
    assert row.prefix in listing.content.decode()
    assert row.hashed_key not in listing.content.decode()
    assert client.get(f"{changelist}add/").status_code == 403
    detail = client.get(f"{changelist}{row.pk}/change/")
    assert detail.status_code == 200
    assert row.hashed_key not in detail.content.decode()
    assert client.post(f"{changelist}{row.pk}/delete/").status_code == 403
    response = client.post(
        changelist, {"action": "revoke", "_selected_action": [str(row.pk)]}, follow=True
    )
    assert "1 API key(s) revoked." in response.content.decode()
    row.refresh_from_db()
    assert row.revoked is True
    assert with_key(key).status_code == 401
