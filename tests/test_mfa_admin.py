"""The admin of second factors shows who has which factor, never a secret, a key or a code."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from rest_framework.test import APIClient

from django_apisec.models import RecoveryCode, TOTPDevice, WebAuthnCredential
from tests.conftest import PASSWORD
from tests.soft_authenticator import SoftAuthenticator

pytestmark = pytest.mark.django_db


@pytest.fixture
def factors(alice: Any) -> dict[str, Any]:
    """Alice with TOTP (and its recovery codes) and a passkey, enrolled through the API."""
    client = APIClient()
    login = client.post("/api/auth/login/", {"username": "alice", "password": PASSWORD})
    headers = {"HTTP_AUTHORIZATION": f"Bearer {login.json()['access']}"}
    secret = client.post("/api/auth/mfa/totp/", **headers).json()["secret"]
    confirm = client.post(
        "/api/auth/mfa/totp/confirm/", {"code": pyotp.TOTP(secret).now()}, format="json", **headers
    )
    with override_settings(APISEC_WEBAUTHN_RP_ID="example.com"):
        options = client.post("/api/auth/webauthn/register/options/", **headers).json()
        passkey = SoftAuthenticator("example.com", "https://example.com")
        body = {"credential": passkey.create(options["publicKey"]), "name": "yubikey"}
        response = client.post("/api/auth/webauthn/register/", body, format="json", **headers)
    assert response.status_code == 201
    return {"secret": secret, "codes": confirm.json()["recovery_codes"], "passkey": passkey}


def test_the_admin_shows_factors_without_secret_material(factors: dict[str, Any]) -> None:
    root = get_user_model().objects.create_superuser("root", "r@example.com", PASSWORD)
    client = Client()
    client.force_login(root)
    device = TOTPDevice.objects.get()
    code = RecoveryCode.objects.first()
    stored = WebAuthnCredential.objects.get()
    assert code is not None
    secrets = [
        factors["secret"],
        device.encrypted_secret,
        code.code_hash,
        stored.credential_id,
        bytes(stored.public_key).hex(),
        *factors["codes"],
    ]
    pages = {
        "totpdevice": device.pk,
        "recoverycode": code.pk,
        "webauthncredential": stored.pk,
    }
    for model, pk in pages.items():
        base = f"/admin/django_apisec/{model}/"
        for path in (base, f"{base}{pk}/change/"):
            response = client.get(path)
            assert response.status_code == 200, path
            content = response.content.decode()
            assert not [s for s in secrets if s in content], path
        assert client.get(f"{base}add/").status_code == 403
    assert "yubikey" in client.get("/admin/django_apisec/webauthncredential/").content.decode()
    # Nothing is edited here; a lost passkey can be removed.
    detail = f"/admin/django_apisec/webauthncredential/{stored.pk}/change/"
    client.post(detail, {"name": "renamed"})
    assert WebAuthnCredential.objects.get().name == "yubikey"
    client.post(f"/admin/django_apisec/webauthncredential/{stored.pk}/delete/", {"post": "yes"})
    assert not WebAuthnCredential.objects.exists()
    assert client.post(f"/admin/django_apisec/recoverycode/{code.pk}/delete/").status_code == 403
