"""The strict token backend: key ids, key rotation, refused configurations, settings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenBackendExpiredToken, TokenError

from django_apisec.conf import apisec_settings
from django_apisec.jwt.tokens import (
    DEFAULT_AUDIENCE,
    DEFAULT_ISSUER,
    SessionAccessToken,
    SessionRefreshToken,
    StrictTokenBackend,
    key_id,
    token_backend,
)
from django_apisec.models import TokenFamily

OLD_KEY = "old-jwt-signing-key-" + "o" * 48
NEW_KEY = "new-jwt-signing-key-" + "n" * 48


def jwt_config(**changes: Any) -> Any:
    return override_settings(SIMPLE_JWT={**settings.SIMPLE_JWT, **changes})


def access_token() -> str:
    now = timezone.now()
    return str(
        SessionAccessToken.issue(
            user_id="1", session_id="s", now=now, expires_at=now + timedelta(minutes=5)
        )
    )


def test_kid_is_derived_from_the_key_and_stable():
    assert key_id(OLD_KEY) == key_id(OLD_KEY)
    assert key_id(OLD_KEY) != key_id(NEW_KEY)
    assert len(key_id(OLD_KEY)) == 16
    assert OLD_KEY not in key_id(OLD_KEY)


def test_issued_tokens_carry_kid_iss_and_aud():
    token = access_token()
    assert jwt.get_unverified_header(token)["kid"] == key_id(settings.SIMPLE_JWT["SIGNING_KEY"])
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iss"] == DEFAULT_ISSUER
    assert claims["aud"] == DEFAULT_AUDIENCE


def test_configured_issuer_and_audience_are_used_and_checked():
    with jwt_config(ISSUER="https://api.example", AUDIENCE="example-api"):
        token = access_token()
        assert SessionAccessToken(token)["iss"] == "https://api.example"
    # The same token against the default issuer and audience is refused.
    with pytest.raises(TokenError):
        SessionAccessToken(token)


def test_key_rotation_procedure():
    with jwt_config(SIGNING_KEY=OLD_KEY):
        old_token = access_token()
    # Step 1: new signing key, the old one kept for verification only.
    with jwt_config(SIGNING_KEY=NEW_KEY), override_settings(APISEC_JWT_PREVIOUS_KEYS=[OLD_KEY]):
        assert SessionAccessToken(old_token)["user_id"] == "1"
        new_token = access_token()
        assert jwt.get_unverified_header(new_token)["kid"] == key_id(NEW_KEY)
    # Step 2: once every old token has expired, the old key goes.
    with jwt_config(SIGNING_KEY=NEW_KEY):
        SessionAccessToken(new_token)
        with pytest.raises(TokenError):
            SessionAccessToken(old_token)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, []),
        ("", []),
        ("one-key", ["one-key"]),
        # An unusable list verifies with no previous key at all (apisec.E621 reports it).
        (["a", "", None, "b"], []),
        (("a",), ["a"]),
    ],
)
def test_previous_keys_setting_shapes(value, expected):
    with override_settings(APISEC_JWT_PREVIOUS_KEYS=value):
        keys = apisec_settings.JWT_PREVIOUS_KEYS
    assert keys == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3600, timedelta(hours=1)),
        ("60", timedelta(days=30)),  # a str is unusable: the default, and apisec.E614
        (timedelta(days=2), timedelta(days=2)),
    ],
)
def test_session_max_age_accepts_seconds_or_timedelta(value, expected):
    with override_settings(APISEC_JWT_SESSION_MAX_AGE=value):
        max_age = apisec_settings.JWT_SESSION_MAX_AGE
    assert max_age == expected


def test_setting_defaults():
    max_age = apisec_settings.JWT_SESSION_MAX_AGE
    assert max_age == timedelta(days=30)
    # On by default (issue 18): the tabs of one browser refreshing together stay logged in.
    assert apisec_settings.JWT_REUSE_GRACE_SECONDS == 10
    assert apisec_settings.JWT_REUSE_DEACTIVATES_USER is False
    assert apisec_settings.JWT_BODY_TRANSPORT is False
    assert apisec_settings.JWT_COOKIE_SECURE is False  # the test settings' development profile
    assert apisec_settings.JWT_COOKIE_PATH is None
    assert apisec_settings.JWT_FINGERPRINT is False
    assert apisec_settings.JWT_PRUNE_EVERY == 100
    assert apisec_settings.JWT_PRUNE_BATCH_SIZE == 1000
    with override_settings(
        APISEC_JWT_REUSE_GRACE_SECONDS=-5, APISEC_JWT_PRUNE_EVERY=-1, APISEC_JWT_PRUNE_BATCH_SIZE=0
    ):
        # Unusable values are the defaults (and apisec.E615, E622, E623), never a crash.
        assert apisec_settings.JWT_REUSE_GRACE_SECONDS == 10
        assert apisec_settings.JWT_PRUNE_EVERY == 100
        assert apisec_settings.JWT_PRUNE_BATCH_SIZE == 1000


def test_production_profile_makes_cookies_secure():
    with override_settings(APISEC_PROFILE="production"):
        assert apisec_settings.JWT_COOKIE_SECURE is True


@pytest.mark.parametrize(
    "changes",
    [
        {"SIGNING_KEY": ""},
        {"SIGNING_KEY": None},
        {"ALGORITHM": "RS256", "SIGNING_KEY": "x", "VERIFYING_KEY": ""},
        {"ALGORITHM": "RS256", "SIGNING_KEY": "x", "VERIFYING_KEY": "not a pem"},
    ],
)
def test_unusable_keys_are_refused(changes):
    with jwt_config(**changes), pytest.raises(ImproperlyConfigured):
        token_backend()


def test_signing_key_equal_to_secret_key_is_refused():
    with jwt_config(SIGNING_KEY=settings.SECRET_KEY), pytest.raises(ImproperlyConfigured):
        token_backend()


@pytest.mark.parametrize("keys", [{"SIGNING_KEY": "short"}, {"PREVIOUS": "short"}])
def test_short_hmac_keys_are_refused(keys):
    previous = [keys["PREVIOUS"]] if "PREVIOUS" in keys else []
    signing = keys.get("SIGNING_KEY", NEW_KEY)
    with (
        jwt_config(SIGNING_KEY=signing),
        override_settings(APISEC_JWT_PREVIOUS_KEYS=previous),
        pytest.raises(ImproperlyConfigured, match="too short"),
    ):
        token_backend()


def test_backend_always_verifies():
    backend = StrictTokenBackend(algorithm="HS256", signing_key=NEW_KEY)
    forged = jwt.encode({"a": 1}, "other-key-" + "x" * 40, algorithm="HS256")
    with pytest.raises(Exception, match="invalid"):
        backend.decode(forged, verify=False)


def test_unrelated_setting_changes_keep_the_backend():
    backend = token_backend()
    with override_settings(APISEC_MAX_PAGE_SIZE=5):
        assert token_backend() is backend


def test_token_accessors():
    now = timezone.now()
    token = SessionRefreshToken.issue(
        user_id="7", session_id="sid-1", now=now, expires_at=now + timedelta(hours=1)
    )
    assert (token.user_id, token.session_id, len(token.jti)) == ("7", "sid-1", 32)
    assert token.lifetime == settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"]


def test_token_family_str():
    family = TokenFamily(current_jti="x")
    assert str(family) == str(family.id)


def count_pyjwt_decodes(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    calls: list[object] = []
    real = jwt.decode

    def counting(token: object, *args: Any, **kwargs: Any) -> Any:
        calls.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting)
    return calls


def test_a_verified_token_is_not_parsed_again(monkeypatch):
    token = access_token()
    decodes = count_pyjwt_decodes(monkeypatch)
    first, second = SessionAccessToken(token), SessionAccessToken(token)
    assert decodes == [token]
    assert first.payload == second.payload
    # Each token gets its own claims: changing one never reaches the next request's.
    first.payload["user_id"] = "2"
    assert SessionAccessToken(token).user_id == "1"


def test_a_remembered_token_still_expires(monkeypatch):
    token = access_token()
    exp = SessionAccessToken(token)["exp"]
    monkeypatch.setattr("django_apisec.jwt.tokens.time.time", lambda: exp + 1)
    with pytest.raises(TokenBackendExpiredToken):
        token_backend().decode(token)


def test_a_remembered_token_expires_after_the_leeway(monkeypatch):
    with jwt_config(LEEWAY=30):
        token = access_token()
        exp = SessionAccessToken(token)["exp"]
        monkeypatch.setattr("django_apisec.jwt.tokens.time.time", lambda: exp + 29)
        assert token_backend().decode(token)["exp"] == exp
        monkeypatch.setattr("django_apisec.jwt.tokens.time.time", lambda: exp + 30)
        with pytest.raises(TokenBackendExpiredToken):
            token_backend().decode(token)


def test_a_refused_token_is_never_remembered(monkeypatch):
    claims = jwt.decode(access_token(), options={"verify_signature": False})
    kid = key_id(settings.SIMPLE_JWT["SIGNING_KEY"])
    forged = jwt.encode(claims, OLD_KEY, algorithm="HS256", headers={"kid": kid})
    decodes = count_pyjwt_decodes(monkeypatch)
    for _ in range(2):
        with pytest.raises(TokenError):
            SessionAccessToken(forged)
    assert decodes == [forged, forged]


def test_a_changed_key_forgets_the_tokens_verified_with_the_old_one():
    with jwt_config(SIGNING_KEY=OLD_KEY):
        token = access_token()
        SessionAccessToken(token)
    with jwt_config(SIGNING_KEY=NEW_KEY), pytest.raises(TokenError):
        SessionAccessToken(token)
