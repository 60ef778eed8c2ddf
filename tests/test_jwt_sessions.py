"""Token families through the real views: rotation, reuse detection, revocation, lifetimes."""

from __future__ import annotations

import io
import logging
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from django_apisec.conf import apisec_settings
from django_apisec.jwt import families as sessions
from django_apisec.jwt import revocation as session_revocation
from django_apisec.jwt.transport import refresh_cookie_name
from django_apisec.models import TokenFamily
from django_apisec.signals import refresh_token_reused, sessions_revoked
from tests.conftest import LOGIN, LOGOUT, LOGOUT_ALL, ME, PASSWORD, PASSWORD_URL, REFRESH

pytestmark = pytest.mark.django_db


class Browser:
    """A client with a cookie jar, holding its access token in memory like a SPA."""

    def __init__(self, username: str = "alice", password: str = PASSWORD) -> None:
        self.api = APIClient()
        self.access = ""
        self.login_response = self.api.post(
            LOGIN, {"username": username, "password": password}, format="json"
        )
        if self.login_response.status_code == 200:
            self.access = self.login_response.json()["access"]

    @property
    def refresh_token(self) -> str:
        return str(self.api.cookies[refresh_cookie_name()].value)

    def refresh(self) -> Any:
        response = self.api.post(REFRESH)
        if response.status_code == 200:
            self.access = response.json()["access"]
        return response

    def me(self) -> int:
        return int(self.api.get(ME, HTTP_AUTHORIZATION=f"Bearer {self.access}").status_code)

    def post(self, path: str, data: Any = None) -> Any:
        return self.api.post(path, data, format="json", HTTP_AUTHORIZATION=f"Bearer {self.access}")


def past_the_grace_window() -> None:
    """Age the last rotation beyond ``APISEC_JWT_REUSE_GRACE_SECONDS`` (default 10 s)."""
    grace = timedelta(seconds=apisec_settings.JWT_REUSE_GRACE_SECONDS + 1)
    TokenFamily.objects.update(rotated_at=timezone.now() - grace)


# --- login -------------------------------------------------------------------------------


def test_login_returns_access_in_body_and_refresh_in_a_hardened_cookie(alice):
    browser = Browser()
    response = browser.login_response
    assert response.status_code == 200
    assert set(response.json()) == {"access"}
    assert response["Cache-Control"] == "no-store"
    cookie = response.cookies[refresh_cookie_name()]
    assert cookie.key == "apisec_refresh"  # development profile: plain http
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/api/auth/"
    # The refresh token's lifetime. Django derives max-age from the expiry when it sets the
    # cookie, so a second that passes between issuing the token and setting the cookie (a loaded
    # machine) takes one off: the cookie never outlives the token.
    assert 24 * 3600 - 5 <= cookie["max-age"] <= 24 * 3600
    assert browser.me() == 200
    family = TokenFamily.objects.get()
    assert family.user == alice
    # Only the token id is stored, never the token.
    assert family.current_jti == sessions.SessionRefreshToken(browser.refresh_token).jti
    assert browser.refresh_token not in {family.current_jti, family.previous_jti}


@override_settings(APISEC_JWT_COOKIE_SECURE=True)
def test_secure_cookie_uses_the_secure_prefix(alice):
    response = APIClient().post(LOGIN, {"username": "alice", "password": PASSWORD}, format="json")
    cookie = response.cookies["__Secure-apisec_refresh"]
    assert cookie["secure"] is True
    assert cookie["path"] == "/api/auth/"


@override_settings(APISEC_JWT_COOKIE_PATH="/custom/")
def test_cookie_path_setting(alice):
    assert Browser().login_response.cookies["apisec_refresh"]["path"] == "/custom/"


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "wrong password!"), ("nobody", PASSWORD), ("ALICE", PASSWORD)],
)
def test_wrong_credentials_get_one_generic_401(alice, username, password):
    response = Browser(username, password).login_response
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Invalid username or password.",
        "code": "authentication_failed",
    }
    assert refresh_cookie_name() not in response.cookies


def test_inactive_user_gets_the_same_401(alice):
    alice.is_active = False
    alice.save()
    response = Browser().login_response
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_login_validates_its_body(alice):
    response = APIClient().post(LOGIN, {"username": "alice"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


# --- rotation and reuse -------------------------------------------------------------------


def test_refresh_rotates_the_cookie_and_the_family(alice):
    browser = Browser()
    first = browser.refresh_token
    response = browser.refresh()
    assert response.status_code == 200
    assert set(response.json()) == {"access"}
    assert response["Cache-Control"] == "no-store"
    assert browser.refresh_token != first
    family = TokenFamily.objects.get()
    assert family.generation == 1
    assert family.previous_jti == sessions.SessionRefreshToken(first).jti
    assert browser.me() == 200


def test_refresh_without_a_cookie_is_401(alice):
    response = APIClient().post(REFRESH)
    assert response.status_code == 401
    assert response.json() == {"detail": "Token is invalid or expired.", "code": "token_not_valid"}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_header_settings_are_read_at_request_time(alice):
    # simplejwt binds AUTH_HEADER_TYPES and AUTH_HEADER_NAME when its module is imported; a
    # changed SIMPLE_JWT must reach JWTSessionAuthentication all the same.
    browser = Browser()
    changed = {
        **settings.SIMPLE_JWT,
        "AUTH_HEADER_TYPES": ("JWT",),
        "AUTH_HEADER_NAME": "HTTP_X_API_TOKEN",
    }
    with override_settings(SIMPLE_JWT=changed):
        accepted = browser.api.get(ME, HTTP_X_API_TOKEN=f"JWT {browser.access}")
        old_type = browser.api.get(ME, HTTP_X_API_TOKEN=f"Bearer {browser.access}")
        old_name = browser.api.get(ME, HTTP_AUTHORIZATION=f"JWT {browser.access}")
        refused = APIClient().post(REFRESH)
    assert accepted.status_code == 200
    assert old_type.status_code == 401
    assert old_type["WWW-Authenticate"] == 'JWT realm="api"'
    assert old_name.status_code == 401
    assert refused["WWW-Authenticate"] == 'JWT realm="api"'
    assert browser.me() == 200  # and back to Bearer afterwards


def test_a_lone_header_type_string_counts_as_one_type(alice):
    browser = Browser()
    with override_settings(SIMPLE_JWT={**settings.SIMPLE_JWT, "AUTH_HEADER_TYPES": "JWT"}):
        assert browser.api.get(ME, HTTP_AUTHORIZATION=f"JWT {browser.access}").status_code == 200


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer  "])
def test_a_malformed_bearer_header_is_401(alice, header):
    response = APIClient().get(ME, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_replayed_refresh_token_revokes_the_whole_family(alice, caplog):
    received: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        received.append(kwargs)

    refresh_token_reused.connect(receiver)
    try:
        victim = Browser()
        stolen = victim.refresh_token
        assert victim.refresh().status_code == 200  # the victim rotates
        past_the_grace_window()
        attacker = APIClient()
        attacker.cookies[refresh_cookie_name()] = stolen
        with caplog.at_level(logging.WARNING, logger="django_apisec.security"):
            response = attacker.post(REFRESH, REMOTE_ADDR="203.0.113.9")
    finally:
        refresh_token_reused.disconnect(receiver)
    assert response.status_code == 401
    family = TokenFamily.objects.get()
    assert family.revoked_reason == "reuse"
    # The successor and the access tokens of the family are dead too.
    assert victim.refresh().status_code == 401
    assert victim.me() == 401
    [event] = received
    assert event["user"] == alice
    assert event["family"].pk == family.pk
    assert event["client_ip"] == "203.0.113.9"
    assert event["request"].path == REFRESH
    [record] = [r for r in caplog.records if getattr(r, "event", None) == "token_reused"]
    assert record.security_event["family_id"] == str(family.pk)
    assert record.security_event["client_ip"] == "203.0.113.9"
    assert record.security_event["user_id"] == str(alice.pk)
    assert record.security_event["account_locked"] is False
    assert alice.__class__.objects.get(pk=alice.pk).is_active


def test_replay_of_an_older_generation_also_revokes(alice):
    browser = Browser()
    oldest = browser.refresh_token
    browser.refresh()
    browser.refresh()
    replay = APIClient()
    replay.cookies[refresh_cookie_name()] = oldest
    assert replay.post(REFRESH).status_code == 401
    assert browser.refresh().status_code == 401


def test_replay_of_a_revoked_family_just_fails(alice):
    browser = Browser()
    token = browser.refresh_token
    session_revocation.revoke_family(TokenFamily.objects.get().pk, reason="test")
    replay = APIClient()
    replay.cookies[refresh_cookie_name()] = token
    assert replay.post(REFRESH).status_code == 401


@override_settings(APISEC_JWT_REUSE_DEACTIVATES_USER=True)
def test_reuse_can_lock_the_account(alice, caplog):
    victim = Browser()
    other_device = Browser()
    stolen = victim.refresh_token
    victim.refresh()
    past_the_grace_window()
    attacker = APIClient()
    attacker.cookies[refresh_cookie_name()] = stolen
    with caplog.at_level(logging.WARNING, logger="django_apisec.security"):
        assert attacker.post(REFRESH).status_code == 401
    alice.refresh_from_db()
    assert alice.is_active is False
    assert other_device.refresh().status_code == 401
    assert other_device.me() == 401
    [record] = [r for r in caplog.records if getattr(r, "event", None) == "token_reused"]
    assert record.security_event["account_locked"] is True


def test_grace_window_refuses_the_previous_token_without_revoking(alice):
    browser = Browser()
    previous = browser.refresh_token
    browser.refresh()
    late = APIClient()
    late.cookies[refresh_cookie_name()] = previous
    response = late.post(REFRESH)
    assert response.status_code == 409
    assert response.json()["code"] == "refresh_superseded"
    assert refresh_cookie_name() not in response.cookies  # the winner's cookie is left alone
    assert TokenFamily.objects.get().revoked_at is None
    assert browser.refresh().status_code == 200


def test_after_the_grace_window_the_previous_token_revokes(alice):
    browser = Browser()
    previous = browser.refresh_token
    browser.refresh()
    TokenFamily.objects.update(rotated_at=timezone.now() - timedelta(seconds=11))
    late = APIClient()
    late.cookies[refresh_cookie_name()] = previous
    assert late.post(REFRESH).status_code == 401
    assert TokenFamily.objects.get().revoked_reason == "reuse"


def test_grace_window_covers_only_the_previous_token(alice):
    browser = Browser()
    oldest = browser.refresh_token
    browser.refresh()
    browser.refresh()
    late = APIClient()
    late.cookies[refresh_cookie_name()] = oldest
    assert late.post(REFRESH).status_code == 401
    assert TokenFamily.objects.get().revoked_reason == "reuse"


# --- several tabs of one browser (issue 18) ------------------------------------------------


def tab_of(browser: Browser) -> APIClient:
    """Another tab of ``browser``: its own page state, the browser's one cookie jar."""
    tab = APIClient()
    tab.cookies = browser.api.cookies
    return tab


def expired_refresh_cookie(response: Any) -> bool:
    morsel = response.cookies.get(refresh_cookie_name())
    return morsel is not None and morsel.value == "" and str(morsel["max-age"]) == "0"


def test_tabs_refreshing_together_all_keep_a_working_session(alice):
    # The attack on availability: tabs reloaded at the same moment all send the same cookie.
    # The first rotates; the others are told to retry and do so with the winner's cookie,
    # which their answer leaves alone; nobody is logged out.
    browser = Browser()
    same_cookie = browser.refresh_token
    tabs = [tab_of(browser) for _ in range(3)]
    late = APIClient()
    late.cookies[refresh_cookie_name()] = same_cookie
    first = tabs[0].post(REFRESH)
    assert first.status_code == 200
    for _tab in tabs[1:]:
        lost = late.post(REFRESH)  # sent with the same cookie, arrived after the rotation
        assert lost.status_code == 409
        assert lost.json()["code"] == "refresh_superseded"
        assert refresh_cookie_name() not in lost.cookies
    accesses = [first.json()["access"]]
    for tab in tabs[1:]:
        retried = tab.post(REFRESH)  # the retry carries the jar's current cookie
        assert retried.status_code == 200
        accesses.append(retried.json()["access"])
    family = TokenFamily.objects.get()
    assert family.revoked_at is None
    assert family.generation == 3  # one successor per token, no more
    for access in accesses:
        assert APIClient().get(ME, HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 200
    assert browser.refresh().status_code == 200


def test_a_replay_after_the_window_still_revokes_by_default(alice):
    browser = Browser()
    stolen = browser.refresh_token
    assert browser.refresh().status_code == 200
    past_the_grace_window()
    attacker = APIClient()
    attacker.cookies[refresh_cookie_name()] = stolen
    response = attacker.post(REFRESH)
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"
    assert TokenFamily.objects.get().revoked_reason == "reuse"
    assert browser.refresh().status_code == 401
    assert browser.me() == 401


def test_the_grace_window_gives_the_loser_no_tokens(alice):
    # An attacker racing the victim inside the window learns nothing: no access token, no cookie.
    browser = Browser()
    stolen = browser.refresh_token
    browser.refresh()
    attacker = APIClient()
    attacker.cookies[refresh_cookie_name()] = stolen
    response = attacker.post(REFRESH)
    assert response.status_code == 409
    assert "access" not in response.json()
    assert not response.cookies


# --- a refused refresh expires the cookie (issue 18) ----------------------------------------


def revoke_it(browser: Browser) -> None:
    session_revocation.revoke_family(TokenFamily.objects.get().pk, reason="test")


def replay_it(browser: Browser) -> None:
    stolen = browser.refresh_token
    browser.refresh()
    past_the_grace_window()
    browser.api.cookies[refresh_cookie_name()] = stolen


def expire_it(browser: Browser) -> None:
    TokenFamily.objects.update(idle_expires_at=timezone.now() - timedelta(seconds=1))


def forge_it(browser: Browser) -> None:
    browser.api.cookies[refresh_cookie_name()] = browser.refresh_token[:-4] + "AAAA"


@pytest.mark.parametrize("spoil", [revoke_it, replay_it, expire_it, forge_it])
def test_a_refused_refresh_expires_the_dead_cookie(alice, spoil):
    browser = Browser()
    spoil(browser)
    response = browser.api.post(REFRESH)
    assert response.status_code == 401
    assert response["WWW-Authenticate"]
    morsel = response.cookies[refresh_cookie_name()]
    assert expired_refresh_cookie(response)
    assert morsel["path"] == browser.login_response.cookies[refresh_cookie_name()]["path"]
    assert refresh_cookie_name() not in browser.api.cookies or not browser.refresh_token


def test_a_refresh_from_a_foreign_origin_leaves_the_cookie_alone(alice):
    browser = Browser()
    response = browser.api.post(REFRESH, HTTP_ORIGIN="https://evil.example.net")
    assert response.status_code == 403
    assert not response.cookies
    assert browser.refresh().status_code == 200


@pytest.mark.parametrize(
    ("grace", "raised", "revoked"),
    [(0, sessions.SessionError, "reuse"), (10, sessions.RefreshSupersededError, "")],
)
def test_losing_a_race_after_reading_the_family(alice, monkeypatch, grace, raised, revoked):
    browser = Browser()
    token = browser.refresh_token
    real_issue = sessions.SessionRefreshToken.issue
    calls: list[int] = []

    def racing_issue(**kwargs: Any) -> Any:
        if not calls:
            calls.append(1)
            # Another request with the same token wins between our read and our UPDATE.
            sessions.rotate_session(token)
        return real_issue(**kwargs)

    monkeypatch.setattr(sessions.SessionRefreshToken, "issue", racing_issue)
    # Without a grace window the loser is a replay; with one (the default) it is told to retry.
    with override_settings(APISEC_JWT_REUSE_GRACE_SECONDS=grace), pytest.raises(raised) as caught:
        sessions.rotate_session(token)
    assert isinstance(caught.value, raised)
    assert (caught.value.code == "refresh_superseded") is (grace > 0)
    assert TokenFamily.objects.get().revoked_reason == revoked


@pytest.mark.parametrize("change", ["expire", "delete"])
def test_session_ending_between_read_and_update(alice, monkeypatch, change):
    browser = Browser()
    real_issue = sessions.SessionRefreshToken.issue

    def ending_issue(**kwargs: Any) -> Any:
        if change == "expire":
            TokenFamily.objects.update(idle_expires_at=timezone.now() - timedelta(seconds=1))
        else:
            TokenFamily.objects.all().delete()
        return real_issue(**kwargs)

    monkeypatch.setattr(sessions.SessionRefreshToken, "issue", ending_issue)
    with pytest.raises(sessions.SessionError):
        sessions.rotate_session(browser.refresh_token)


def test_refresh_token_of_another_user_for_a_family_is_refused(alice):
    bob = get_user_model().objects.create_user("bob", password=PASSWORD)
    browser = Browser()
    family = TokenFamily.objects.get()
    forged = sessions.SessionRefreshToken.issue(
        user_id=str(bob.pk),
        session_id=str(family.pk),
        now=timezone.now(),
        expires_at=timezone.now() + timedelta(hours=1),
    )
    with pytest.raises(sessions.SessionError):
        sessions.rotate_session(str(forged))
    assert browser.refresh().status_code == 200


def test_refresh_token_with_a_malformed_session_id_is_refused(alice):
    now = timezone.now()
    token = sessions.SessionRefreshToken.issue(
        user_id=str(alice.pk), session_id="1 OR 1=1", now=now, expires_at=now + timedelta(hours=1)
    )
    with pytest.raises(sessions.SessionError, match="malformed"):
        sessions.rotate_session(str(token))


# --- lifetimes ----------------------------------------------------------------------------


@override_settings(APISEC_JWT_SESSION_MAX_AGE=3600)
def test_tokens_never_outlive_the_absolute_session_lifetime(alice):
    browser = Browser()
    family = TokenFamily.objects.get()
    assert family.absolute_expires_at - family.created_at == timedelta(hours=1)
    assert family.idle_expires_at == family.absolute_expires_at
    refresh = sessions.SessionRefreshToken(browser.refresh_token)
    assert refresh["exp"] - refresh["iat"] == 3600


def test_session_past_its_absolute_lifetime_cannot_refresh(alice):
    browser = Browser()
    past = timezone.now() - timedelta(seconds=1)
    TokenFamily.objects.update(absolute_expires_at=past, idle_expires_at=past)
    assert browser.refresh().status_code == 401


def test_rotation_keeps_the_absolute_deadline(alice):
    browser = Browser()
    soon = timezone.now() + timedelta(minutes=5)
    TokenFamily.objects.update(absolute_expires_at=soon)
    assert browser.refresh().status_code == 200
    family = TokenFamily.objects.get()
    assert family.idle_expires_at <= soon
    refresh = sessions.SessionRefreshToken(browser.refresh_token)
    assert refresh["exp"] <= int(soon.timestamp())


def test_refresh_of_a_deactivated_user_fails_and_revokes(alice):
    browser = Browser()
    # A queryset update bypasses the receivers; the refresh still checks the user.
    get_user_model().objects.filter(pk=alice.pk).update(is_active=False)
    assert browser.refresh().status_code == 401
    assert TokenFamily.objects.get().revoked_reason == "user_inactive"


# --- revocation ---------------------------------------------------------------------------


def test_logout_revokes_the_family_and_clears_the_cookie(alice):
    browser = Browser()
    token = browser.refresh_token
    response = browser.api.post(LOGOUT)
    assert response.status_code == 204
    cleared = response.cookies[refresh_cookie_name()]
    assert cleared.value == ""
    assert cleared["path"] == "/api/auth/"
    assert cleared["max-age"] == 0
    assert browser.me() == 401
    replay = APIClient()
    replay.cookies[refresh_cookie_name()] = token
    assert replay.post(REFRESH).status_code == 401
    assert TokenFamily.objects.get().revoked_reason == "logout"


@pytest.mark.parametrize("cookie", [None, "garbage"])
def test_logout_without_a_valid_cookie_still_succeeds(alice, cookie):
    client = APIClient()
    if cookie:
        client.cookies[refresh_cookie_name()] = cookie
    assert client.post(LOGOUT).status_code == 204


def test_logout_all_revokes_every_session(alice):
    laptop, phone = Browser(), Browser()
    bob = get_user_model().objects.create_user("bob", password=PASSWORD)
    bobs = Browser("bob")
    revoked: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        revoked.append(kwargs)

    sessions_revoked.connect(receiver)
    try:
        assert laptop.post(LOGOUT_ALL).status_code == 204
    finally:
        sessions_revoked.disconnect(receiver)
    for browser in (laptop, phone):
        assert browser.me() == 401
        assert browser.refresh().status_code == 401
    assert bobs.me() == 200
    assert bobs.refresh().status_code == 200
    [event] = revoked
    assert event["user"] == alice
    assert event["reason"] == "logout_all"
    assert len(event["family_ids"]) == 2
    assert TokenFamily.objects.filter(user=bob, revoked_at__isnull=True).count() == 1
    # A new login works straight away.
    assert Browser().me() == 200


def test_logout_all_needs_an_access_token(alice):
    assert APIClient().post(LOGOUT_ALL).status_code == 401


def test_password_change_view_revokes_every_session(alice):
    browser, other = Browser(), Browser()
    response = browser.post(
        PASSWORD_URL, {"old_password": PASSWORD, "new_password": "a different long passphrase"}
    )
    assert response.status_code == 204
    for b in (browser, other):
        assert b.me() == 401
        assert b.refresh().status_code == 401
    assert set(TokenFamily.objects.values_list("revoked_reason", flat=True)) == {"password_changed"}
    assert Browser(password="a different long passphrase").me() == 200


def test_password_change_rejects_a_wrong_old_password(alice):
    browser = Browser()
    response = browser.post(
        PASSWORD_URL, {"old_password": "not it", "new_password": "a different long passphrase"}
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"old_password"}
    assert browser.refresh().status_code == 200


def test_guessing_the_old_password_with_a_stolen_token_locks_the_account(alice, settings):
    settings.APISEC_LOCKOUT_THRESHOLD = 3
    stolen = Browser()
    answers = [
        stolen.post(PASSWORD_URL, {"old_password": f"guess {i}", "new_password": "x" * 20})
        for i in range(5)
    ]
    assert [a.status_code for a in answers] == [400, 400, 400, 429, 429]
    assert answers[-1].json()["code"] == "locked_out"
    assert "Retry-After" in answers[-1]
    # Even the right old password is refused while the account is locked.
    right = stolen.post(PASSWORD_URL, {"old_password": PASSWORD, "new_password": "x" * 20})
    assert right.status_code == 429
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_password_change_runs_the_password_validators(alice):
    browser = Browser()
    response = browser.post(PASSWORD_URL, {"old_password": PASSWORD, "new_password": "123"})
    assert response.status_code == 400
    assert response.json()["errors"]["new_password"]
    assert browser.refresh().status_code == 200


def test_set_password_anywhere_revokes_every_session(alice):
    browser = Browser()
    alice.set_password("changed by an admin 123")
    alice.save()
    assert browser.me() == 401
    assert browser.refresh().status_code == 401


@override_settings(
    PASSWORD_HASHERS=[
        "django.contrib.auth.hashers.ScryptPasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
)
def test_hash_upgrade_at_login_revokes_nothing(alice):
    browser = Browser()
    alice.refresh_from_db()
    assert alice.password.startswith("scrypt$")  # upgraded by the login
    assert browser.refresh().status_code == 200


def test_access_token_of_an_inactive_user_is_refused_even_without_a_marker(alice):
    browser = Browser()
    get_user_model().objects.filter(pk=alice.pk).update(is_active=False)
    assert browser.me() == 401


def test_deactivation_revokes_every_session(alice):
    browser = Browser()
    alice.is_active = False
    alice.save()
    assert browser.me() == 401
    assert TokenFamily.objects.get().revoked_reason == "user_inactive"


def test_saving_other_fields_of_an_inactive_user_does_not_revoke_again(alice):
    Browser()
    get_user_model().objects.filter(pk=alice.pk).update(is_active=False)
    alice.refresh_from_db()
    alice.email = "alice@example.com"
    alice.save(update_fields=["email"])
    assert TokenFamily.objects.get().revoked_at is None


def test_creating_a_user_revokes_nothing(monkeypatch):
    revoked: list[str] = []
    monkeypatch.setattr(
        session_revocation,
        "revoke_all_sessions",
        lambda user, *, reason: revoked.append(reason) or 0,
    )
    # A new user with a password, inactive: both triggers of the receiver, were it an update.
    user = get_user_model().objects.create_user("carol", password=PASSWORD, is_active=False)
    assert revoked == []
    # The control: the same kind of save on an existing user does reach the (spied) revocation.
    user.set_password("another passphrase 42")
    user.save()
    assert revoked == [session_revocation.PASSWORD_CHANGED]


def test_revoke_family_twice_reports_false(alice):
    Browser()
    family = TokenFamily.objects.get()
    assert session_revocation.revoke_family(family.pk, reason="test") is True
    assert session_revocation.revoke_family(family.pk, reason="test") is False


def test_revoke_all_sessions_without_sessions(alice):
    assert session_revocation.revoke_all_sessions(alice, reason="test") == 0


# --- revocation markers -------------------------------------------------------------------


def test_marker_outlives_access_tokens_with_a_timedelta_leeway(alice, monkeypatch, settings):
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "LEEWAY": timedelta(seconds=5)}
    seen: dict[str, Any] = {}
    monkeypatch.setattr(
        cache, "set_many", lambda data, timeout: seen.update(data=data, timeout=timeout)
    )
    session_revocation.mark_revoked(["f"])
    assert seen == {"data": {"apisec:jwt:revoked:f": 1}, "timeout": 15 * 60 + 5 + 1}


def test_nothing_to_mark(monkeypatch):
    monkeypatch.setattr(cache, "set_many", pytest.fail)
    session_revocation.mark_revoked([])


def test_unreachable_cache_accepts_the_access_token_and_logs(alice, monkeypatch, caplog):
    browser = Browser()

    real_get = cache.get

    def down(key: str, *args: Any, **kwargs: Any) -> Any:
        if key.startswith(session_revocation.MARKER_PREFIX):
            raise ConnectionError("redis down")
        return real_get(key, *args, **kwargs)

    monkeypatch.setattr(cache, "get", down)
    with caplog.at_level(logging.ERROR, logger="django_apisec.security"):
        assert browser.me() == 200
    errors = [r.event for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == ["revocation_cache_unavailable"]


# --- pruning ------------------------------------------------------------------------------


def make_family(user: Any, *, age: timedelta, revoked: bool = False) -> TokenFamily:
    now = timezone.now()
    return TokenFamily.objects.create(
        user=user,
        current_jti="x",
        created_at=now - age,
        idle_expires_at=now - age + timedelta(days=1),
        absolute_expires_at=now - age + timedelta(days=30),
        revoked_at=now if revoked else None,
    )


@override_settings(APISEC_JWT_PRUNE_EVERY=0)
def test_prune_deletes_dead_families_in_batches(alice):
    live = make_family(alice, age=timedelta(hours=1))
    for _ in range(3):
        make_family(alice, age=timedelta(days=2))
    revoked = make_family(alice, age=timedelta(hours=1))
    session_revocation.revoke_family(revoked.pk, reason="test")
    assert sessions.prune_sessions(batch_size=2, max_batches=1) == 2
    assert sessions.prune_sessions(batch_size=2) == 2
    assert list(TokenFamily.objects.all()) == [live]


def test_prune_command(alice):
    make_family(alice, age=timedelta(days=2))
    out = io.StringIO()
    call_command("apisec_prune_sessions", "--batch-size", "1", stdout=out)
    assert out.getvalue().strip() == "Deleted 1 expired or revoked session(s)."
    call_command("apisec_prune_sessions", stdout=out)
    assert TokenFamily.objects.count() == 0


@override_settings(APISEC_JWT_PRUNE_EVERY=0)
def test_login_prunes_the_users_own_dead_sessions_only(alice):
    bob = get_user_model().objects.create_user("bob", password=PASSWORD)
    make_family(alice, age=timedelta(days=2))
    bobs_dead = make_family(bob, age=timedelta(days=2))
    Browser()
    assert set(TokenFamily.objects.values_list("user", flat=True)) == {alice.pk, bob.pk}
    assert TokenFamily.objects.filter(pk=bobs_dead.pk).exists()
    assert TokenFamily.objects.filter(user=alice).count() == 1


@override_settings(APISEC_JWT_PRUNE_EVERY=1)
def test_login_sometimes_prunes_everyones_dead_sessions(alice):
    bob = get_user_model().objects.create_user("bob", password=PASSWORD)
    make_family(bob, age=timedelta(days=2))
    Browser()
    assert TokenFamily.objects.filter(user=bob).count() == 0
