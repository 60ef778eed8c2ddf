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

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib

from django_apisec.testing.server import (
    django_admin,
    django_env,
    production_env,
    redis_url,
    serve,
)
from tests.browser.conftest import CHROMIUM
from tests.services import require_redis

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SETTINGS = "testproject.settings"
PASSWORD = "browser passkey passphrase 42"
RP_ID = "example.test"
# The front end, on the relying party; served by the browser's request routing.
FRONT_END = "https://app.example.test:18547"


@pytest.fixture(scope="module")
def seen(node: str) -> dict[str, Any]:
    """What the browser and the API answered, one run of ``passkeys.mjs`` for the module."""
    with tempfile.TemporaryDirectory(prefix="apisec-passkeys-") as directory:
        database = f"sqlite:///{directory}/db.sqlite3"
        redis = redis_url("browser")
        require_redis()
        redis_lib.Redis.from_url(redis).flushdb()
        env = production_env(
            database,
            redis,
            CORS_ALLOWED_ORIGINS=FRONT_END,
            APISEC_WEBAUTHN_RP_ID=RP_ID,
            APISEC_WEBAUTHN_ORIGINS=FRONT_END,
            APISEC_TRUSTED_PROXIES="",
            APISEC_RATE_ANON="100000/min",
            APISEC_RATE_USER="100000/min",
        )
        manage = django_env(SETTINGS, env, root=ROOT)
        django_admin(manage, "migrate", "--noinput", root=ROOT)
        create_alice = (
            "from django.contrib.auth import get_user_model; "
            f"get_user_model().objects.create_user('alice', password='{PASSWORD}')"
        )
        django_admin(manage, "shell", "-c", create_alice, root=ROOT)
        with serve(SETTINGS, env=env, tls=True, workers=1, root=ROOT) as server:
            config = {
                "api": f"https://localhost:{server.port}",
                "spa": FRONT_END,
                "username": "alice",
                "password": PASSWORD,
                "chromium": CHROMIUM,
            }
            run = subprocess.run(
                [node, str(HERE / "passkeys.mjs"), json.dumps(config)],
                cwd=HERE,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert run.returncode == 0, run.stderr + "\n" + server.log_text()[-4000:]
            return json.loads(run.stdout)  # type: ignore[no-any-return]


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
