"""Passkeys in Chromium with a CDP virtual authenticator: register, log in, and two attacks.

The testproject runs in its production profile under gunicorn with TLS (the one harness,
``django_apisec.testing.server.serve``), its relying party configured as a deployment would:
``APISEC_WEBAUTHN_RP_ID`` (the front end's registrable domain) and ``APISEC_WEBAUTHN_ORIGINS``
(the front end's origin, also in ``CORS_ALLOWED_ORIGINS``). ``passkeys.mjs`` drives Chromium
through playwright-core; ``WebAuthn.addVirtualAuthenticator`` over a CDP session gives the
page a platform authenticator, so every ``navigator.credentials`` call is a real ceremony.
One server and one browser run for the whole module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import create_users_code, deployment, run_script

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration

PASSWORD = "browser passkey passphrase 42"
RP_ID = "example.test"
# The front end, on the relying party; served by the browser's request routing.
FRONT_END = "https://app.example.test:18547"


@pytest.fixture(scope="module")
def seen(node: str, migrated_sqlite: Path) -> dict[str, Any]:
    """What the browser and the API answered, one run of ``passkeys.mjs`` for the module."""
    with deployment(
        migrated_sqlite,
        create_users_code((("alice", PASSWORD),)),
        {"workers": 1},
        CORS_ALLOWED_ORIGINS=FRONT_END,
        APISEC_WEBAUTHN_RP_ID=RP_ID,
        APISEC_WEBAUTHN_ORIGINS=FRONT_END,
        APISEC_TRUSTED_PROXIES="",
    ) as server:
        config = {
            "api": f"https://localhost:{server.port}",
            "spa": FRONT_END,
            "username": "alice",
            "password": PASSWORD,
        }
        return run_script(node, "passkeys.mjs", config, server, timeout=120)


def test_a_passkey_is_registered_in_chromium(seen: dict[str, Any]) -> None:
    register = seen["register"]
    assert (register["login"], register["options"], register["status"]) == (200, 200, 201)
    assert register["rpId"] == RP_ID
    assert register["recoveryCodes"] == 10  # the account's first factor
    assert register["listed"] == ["Chromium"]
    # A discoverable credential (a passkey) for our relying party, on the authenticator.
    assert seen["authenticator"]["rpId"] == RP_ID
    assert seen["authenticator"]["resident"] is True


def test_the_passkey_is_a_second_factor(seen: dict[str, Any]) -> None:
    second = seen["secondFactor"]
    # The password step yields nothing usable, and offers the passkey.
    assert second["passwordStep"]["status"] == 200
    assert second["passwordStep"]["access"] is False
    assert "webauthn" in second["passwordStep"]["methods"]
    assert second["verify"] == 200
    assert second["me"] == "alice"


def test_the_passkey_logs_in_without_a_password(seen: dict[str, Any]) -> None:
    assert seen["passwordless"] == {"status": 200, "code": None, "access": True}


def test_an_assertion_for_another_relying_party_is_refused(seen: dict[str, Any]) -> None:
    # Same key, listed origin, genuine challenge, counter ahead: only the RP id differs.
    refused = seen["otherRelyingParty"]
    assert refused["status"] == 401, refused
    assert refused["access"] is False


def test_a_regressed_signature_counter_is_refused(seen: dict[str, Any]) -> None:
    assert seen["countSeen"] >= 2  # the server has seen the counter move
    refused = seen["regressedCounter"]
    assert refused == {"status": 401, "code": "passkey_counter_regressed", "access": False}
    # The genuine authenticator (its counter ahead of the clone's) goes on logging in.
    assert seen["genuineAfterAttacks"] == {"status": 200, "code": None, "access": True}
