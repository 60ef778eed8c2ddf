"""Attacks on JWT validation, each against the real views: the forged token must get a 401.

Every forged token is built with PyJWT (or, where PyJWT refuses to build it, by hand as an
attacker would), and each family of forgeries has a control: the same builder with nothing
wrong gets a 200, so a 401 is due to the one defect under test.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
import warnings
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import override_settings
from jwt.utils import base64url_encode
from rest_framework.test import APIClient

from django_apisec.jwt.tokens import key_id, token_backend
from django_apisec.jwt.transport import refresh_cookie_name
from tests.conftest import LOGIN, ME, PASSWORD, REFRESH

pytestmark = pytest.mark.django_db


WEAK_KEYS = [
    "",
    "secret",
    "password",
    "changeme",
    "your-256-bit-secret",
    "jwt",
    "key",
    "123456",
    "django-insecure",
    "secretkey",
    "supersecret",
    "test",
]


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def login(api: APIClient, username: str = "alice") -> str:
    response = api.post(LOGIN, {"username": username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return str(response.json()["access"])


def me(api: APIClient, token: str) -> int:
    return int(api.get(ME, HTTP_AUTHORIZATION=f"Bearer {token}").status_code)


def signing_key() -> str:
    return str(settings.SIMPLE_JWT["SIGNING_KEY"])


def claims_of(token: str) -> dict[str, Any]:
    """The claims of a genuine token (verified: the tests start from real tokens)."""
    return token_backend().decode(token)


def encode(
    claims: dict[str, Any],
    key: Any = None,
    *,
    algorithm: str = "HS256",
    headers: dict[str, Any] | None = None,
) -> str:
    """Sign with PyJWT; ``kid`` defaults to the configured key's."""
    header = {"kid": token_backend().kid, **(headers or {})}
    if key == "":
        # PyJWT refuses an empty HMAC key; an attacker signs by hand.
        return hs256_by_hand({"alg": "HS256", "typ": "JWT", **header}, claims, b"")
    with warnings.catch_warnings():
        # PyJWT warns about the weak keys attackers use; that is the point here.
        warnings.simplefilter("ignore")
        return jwt.encode(
            claims, signing_key() if key is None else key, algorithm=algorithm, headers=header
        )


def raw_token(header: dict[str, Any], claims: dict[str, Any], signature: bytes) -> str:
    """Assemble a JWS by hand, for tokens PyJWT refuses to produce."""
    parts = [json.dumps(header).encode(), json.dumps(claims).encode()]
    return (
        ".".join(base64url_encode(part).decode() for part in parts)
        + "."
        + (base64url_encode(signature).decode())
    )


def hs256_by_hand(header: dict[str, Any], claims: dict[str, Any], key: bytes) -> str:
    unsigned = raw_token(header, claims, b"").rstrip(".")
    signature = hmac.new(key, unsigned.encode(), hashlib.sha256).digest()
    return f"{unsigned}.{base64url_encode(signature).decode()}"


# --- control -------------------------------------------------------------------------------


def test_control_a_re_signed_genuine_token_is_accepted(api, alice):
    claims = claims_of(login(api))
    assert me(api, encode(claims)) == 200


# --- alg none and signatures ---------------------------------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none_in_every_spelling_is_rejected(api, alice, alg):
    claims = claims_of(login(api))
    token = raw_token({"alg": alg, "typ": "JWT", "kid": token_backend().kid}, claims, b"")
    assert me(api, token) == 401


def test_alg_none_built_by_pyjwt_is_rejected(api, alice):
    claims = claims_of(login(api))
    token = jwt.encode(claims, None, algorithm="none", headers={"kid": token_backend().kid})
    assert me(api, token) == 401


def test_null_signature_is_rejected(api, alice):
    header, payload, _ = login(api).split(".")
    assert me(api, f"{header}.{payload}.") == 401


@pytest.mark.parametrize("cut", [1, 4, 20])
def test_truncated_signature_is_rejected(api, alice, cut):
    assert me(api, login(api)[:-cut]) == 401


# --- keys ----------------------------------------------------------------------------------


@pytest.mark.parametrize("weak_key", WEAK_KEYS)
def test_token_signed_with_a_weak_or_blank_key_is_rejected(api, alice, weak_key):
    claims = claims_of(login(api))
    assert me(api, encode(claims, weak_key)) == 401


def test_token_signed_with_secret_key_is_rejected(api, alice):
    claims = claims_of(login(api))
    assert me(api, encode(claims, settings.SECRET_KEY)) == 401


@pytest.mark.parametrize("alg", ["hs256", "Hs256", "HS512", "HS384"])
def test_algorithm_variants_signed_with_the_real_key_are_rejected(api, alice, alg):
    claims = claims_of(login(api))
    header = {"alg": alg, "typ": "JWT", "kid": token_backend().kid}
    token = hs256_by_hand(header, claims, signing_key().encode())
    assert me(api, token) == 401


def test_hs512_signed_by_pyjwt_with_the_real_key_is_rejected(api, alice):
    claims = claims_of(login(api))
    assert me(api, encode(claims, algorithm="HS512")) == 401


@pytest.mark.parametrize(
    ("kid", "key"),
    [
        ("../../../../../../dev/null", ""),
        ("/dev/null", ""),
        ("' UNION SELECT 'attacker-key' -- ", "attacker-key"),
        ("1' OR '1'='1", "attacker-key"),
        ("", ""),
    ],
)
def test_kid_injection_is_rejected(api, alice, kid, key):
    claims = claims_of(login(api))
    assert me(api, encode(claims, key, headers={"kid": kid})) == 401


def test_unknown_kid_with_the_real_key_is_rejected(api, alice):
    claims = claims_of(login(api))
    assert me(api, encode(claims, headers={"kid": "0123456789abcdef"})) == 401


def test_missing_kid_is_rejected(api, alice):
    claims = claims_of(login(api))
    token = jwt.encode(claims, signing_key(), algorithm="HS256")
    assert me(api, token) == 401


@pytest.mark.parametrize("kid", [123, None, ["a"], {"k": 1}])
def test_non_string_kid_is_rejected(api, alice, kid):
    claims = claims_of(login(api))
    header = {"alg": "HS256", "typ": "JWT", "kid": kid}
    assert me(api, hs256_by_hand(header, claims, signing_key().encode())) == 401


@pytest.mark.parametrize("name", ["jku", "jwk", "x5u", "x5c", "crit"])
def test_key_describing_headers_are_rejected_even_when_validly_signed(api, alice, name):
    claims = claims_of(login(api))
    value: Any = {
        "jku": "https://attacker.example/jwks.json",
        "jwk": {"kty": "oct", "k": base64url_encode(b"attacker").decode()},
        "x5u": "https://attacker.example/cert.pem",
        "x5c": ["MIIB"],
        "crit": ["exp"],
    }[name]
    assert me(api, encode(claims, headers={name: value})) == 401


def rsa_keypair() -> tuple[str, str, Any]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem, private


def ec_keypair() -> tuple[str, str]:
    private = ec.generate_private_key(ec.SECP256R1())
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def asymmetric(algorithm: str, private_pem: str, public_pem: str) -> Any:
    return override_settings(
        SIMPLE_JWT={
            **settings.SIMPLE_JWT,
            "ALGORITHM": algorithm,
            "SIGNING_KEY": private_pem,
            "VERIFYING_KEY": public_pem,
        }
    )


def test_key_confusion_hs256_signed_with_the_rs256_public_key_is_rejected(api, alice):
    private_pem, public_pem, _ = rsa_keypair()
    with asymmetric("RS256", private_pem, public_pem):
        access = login(api)
        assert me(api, access) == 200
        claims = claims_of(access)
        header = {"alg": "HS256", "typ": "JWT", "kid": key_id(public_pem)}
        forged = hs256_by_hand(header, claims, public_pem.encode())
        assert me(api, forged) == 401


def test_embedded_jwk_with_the_attackers_own_key_is_rejected(api, alice):
    private_pem, public_pem, _ = rsa_keypair()
    attacker_pem, _, attacker = rsa_keypair()
    attacker_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(attacker.public_key()))
    with asymmetric("RS256", private_pem, public_pem):
        claims = claims_of(login(api))
        forged = jwt.encode(
            claims,
            attacker_pem,
            algorithm="RS256",
            headers={"kid": key_id(public_pem), "jwk": attacker_jwk},
        )
        assert me(api, forged) == 401
        # Without the header, the attacker's signature is simply wrong: also refused.
        forged = jwt.encode(claims, attacker_pem, algorithm="RS256", headers={"kid": "x"})
        assert me(api, forged) == 401


def test_ecdsa_psychic_signature_is_rejected(api, alice):
    private_pem, public_pem = ec_keypair()
    with asymmetric("ES256", private_pem, public_pem):
        access = login(api)
        assert me(api, access) == 200
        claims = claims_of(access)
        header = {"alg": "ES256", "typ": "JWT", "kid": key_id(public_pem)}
        assert me(api, raw_token(header, claims, b"\x00" * 64)) == 401


# --- claims --------------------------------------------------------------------------------


def test_claim_tampering_with_the_original_signature_is_rejected(api, alice):
    bob = get_user_model().objects.create_user("bob", password=PASSWORD)
    header, payload, signature = login(api).split(".")
    claims = claims_of(f"{header}.{payload}.{signature}")
    claims["user_id"] = str(bob.pk)
    tampered = base64url_encode(json.dumps(claims).encode()).decode()
    assert me(api, f"{header}.{tampered}.{signature}") == 401


def test_expired_token_is_rejected(api, alice):
    claims = claims_of(login(api))
    now = int(time.time())
    claims.update(iat=now - 120, exp=now - 60)
    assert me(api, encode(claims)) == 401


@pytest.mark.parametrize("claim", ["iat", "nbf"])
def test_not_yet_valid_token_is_rejected(api, alice, claim):
    claims = claims_of(login(api))
    now = int(time.time())
    claims.update(exp=now + 600, **{claim: now + 300})
    assert me(api, encode(claims)) == 401


def test_over_long_access_token_is_rejected(api, alice):
    claims = claims_of(login(api))
    claims["exp"] = claims["iat"] + 24 * 3600
    assert me(api, encode(claims)) == 401


@pytest.mark.parametrize(
    "claim", ["exp", "iat", "jti", "iss", "aud", "token_type", "sid", "user_id"]
)
def test_token_missing_a_required_claim_is_rejected(api, alice, claim):
    claims = claims_of(login(api))
    del claims[claim]
    assert me(api, encode(claims)) == 401


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("iss", "https://attacker.example"),
        ("aud", "another-service"),
        ("exp", str(int(time.time()) + 600)),
        ("iat", str(int(time.time()))),
        ("jti", 12345),
        ("sid", 1),
        ("user_id", 1),
        ("token_type", "sliding"),
    ],
    # Fixed ids: pytest-xdist's workers must collect the same names (no timestamps).
    ids=["iss", "aud", "exp-as-text", "iat-as-text", "jti-as-int", "sid", "user_id", "token_type"],
)
def test_token_with_a_wrong_claim_value_is_rejected(api, alice, claim, value):
    claims = claims_of(login(api))
    claims[claim] = value
    assert me(api, encode(claims)) == 401


def test_token_of_a_deleted_user_is_rejected(api, alice):
    access = login(api)
    alice.delete()
    assert me(api, access) == 401


def test_token_with_a_malformed_user_id_is_rejected(api, alice):
    claims = claims_of(login(api))
    claims["user_id"] = "not-a-number"
    assert me(api, encode(claims)) == 401


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "e30.e30.", "...."])
def test_garbage_is_rejected(api, alice, garbage):
    assert me(api, garbage) == 401


# --- types ---------------------------------------------------------------------------------


def test_refresh_token_does_not_work_as_access_token(api, alice):
    login(api)
    refresh = api.cookies[refresh_cookie_name()].value
    assert me(api, refresh) == 401


def test_access_token_does_not_work_as_refresh_token(api, alice):
    access = login(api)
    api.cookies[refresh_cookie_name()] = access
    assert api.post(REFRESH).status_code == 401


def test_forged_refresh_token_is_rejected(api, alice):
    login(api)
    refresh = api.cookies[refresh_cookie_name()].value
    claims = claims_of(refresh)
    claims["sid"] = str(uuid.uuid4())
    api.cookies[refresh_cookie_name()] = encode(claims, "secret")
    assert api.post(REFRESH).status_code == 401
    api.cookies[refresh_cookie_name()] = raw_token({"alg": "none"}, claims, b"")
    assert api.post(REFRESH).status_code == 401


def test_over_long_refresh_token_is_rejected(api, alice):
    login(api)
    claims = claims_of(api.cookies[refresh_cookie_name()].value)
    claims["exp"] = claims["iat"] + 365 * 24 * 3600
    api.cookies[refresh_cookie_name()] = encode(claims)
    assert api.post(REFRESH).status_code == 401


def test_control_a_re_signed_genuine_refresh_token_is_accepted(api, alice):
    login(api)
    claims = claims_of(api.cookies[refresh_cookie_name()].value)
    api.cookies[refresh_cookie_name()] = encode(claims)
    assert api.post(REFRESH).status_code == 200
