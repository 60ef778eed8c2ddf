"""A browser SPA against the testproject, in Chromium: the front-end behaviour the docs promise.

The testproject runs in its production profile under gunicorn with TLS (the one harness,
``django_apisec.testing.server.serve``), configured as a user would for a cross-origin SPA: only
``CORS_ALLOWED_ORIGINS`` is set. ``spa.mjs`` drives Debian's Chromium through playwright-core
(``package.json``; no browser download) with the client the docs publish,
``docs/_static/apisec-client.js``, and prints what it saw as JSON.

Skipped with the reason when ``node`` or ``/usr/bin/chromium`` is missing, unless
``APISEC_REQUIRE_SERVICES=1`` (CI, whose ``.ci/run`` installs Chromium), which makes it fail.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import create_users_code, deployment, run_script

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "browser test passphrase 42"
# The SPA's origin (served by the browser's request routing), the one setting a user writes.
SPA = "https://localhost:18544"
SIBLING = "https://localhost:18545"  # same site, not listed
CROSS_SITE = "https://127.0.0.1:18546"  # another site altogether
COOKIE = "__Secure-apisec_refresh"
ROUNDS = 5


@pytest.fixture(scope="module")
def seen(node: str, migrated_sqlite: Path) -> dict[str, Any]:
    """What the browser saw, one run of ``spa.mjs`` for the whole module."""
    with deployment(
        migrated_sqlite,
        create_users_code((("alice", PASSWORD),)),
        # One process, threads for the tab races.
        {"workers": 1, "worker_class": "gthread", "threads": 8},
        CORS_ALLOWED_ORIGINS=SPA,
        APISEC_TRUSTED_PROXIES="",
    ) as server:
        config = {
            "api": f"https://localhost:{server.port}",
            "spa": SPA,
            "sibling": SIBLING,
            "crossSite": CROSS_SITE,
            "cookie": COOKIE,
            "username": "alice",
            "password": PASSWORD,
            "client": str(ROOT / "docs" / "_static" / "apisec-client.js"),
            "rounds": ROUNDS,
        }
        return run_script(node, "spa.mjs", config, server, timeout=240)


def test_login_from_the_listed_origin(seen: dict[str, Any]) -> None:
    assert seen["login"] == {"restoredBefore": False, "me": 200, "documentCookie": ""}
    cookie = seen["cookie"]
    assert cookie["name"] == COOKIE
    assert cookie["path"] == "/api/auth/"
    assert cookie["httpOnly"] is True  # invisible to the page's scripts (documentCookie == "")
    assert cookie["secure"] is True
    assert cookie["sameSite"] == "Strict"


def test_a_reload_restores_the_session(seen: dict[str, Any]) -> None:
    assert seen["reload"] == {"restored": True, "me": 200}


def test_a_refresh_rotates_the_cookie(seen: dict[str, Any]) -> None:
    assert seen["rotation"] == 200
    assert seen["rotated"] is True


def test_an_origin_not_listed_is_refused(seen: dict[str, Any]) -> None:
    foreign = seen["foreign"]
    assert "error" in foreign["cors"]  # the browser blocks the answer: no CORS for it
    # Sent without CORS (the browser attaches the same-site cookie): whatever the page gets back,
    # the server refused to spend the cookie for an origin it does not trust.
    assert foreign["noCors"].get("type", "opaque") == "opaque"
    assert foreign["cookieUnchanged"] is True


def test_a_cross_site_form_post_is_refused(seen: dict[str, Any]) -> None:
    form = seen["crossSiteForm"]
    assert form["status"] == 403
    assert form["cookieUnchanged"] is True
    assert form["spaMe"] == 200  # still logged in


def test_two_tabs_reloaded_together_never_log_out(seen: dict[str, Any]) -> None:
    assert len(seen["race"]) == ROUNDS
    # The figures, for the record (pytest -s): refreshes sent and 409 refresh_superseded seen.
    figures = [[(t["refreshes"], t["superseded"]) for t in r] for r in seen["race"]]
    print("two-tab race (refreshes, superseded) per tab:", figures)  # noqa: T201
    for outcomes in seen["race"]:
        for tab in outcomes:
            assert tab["restored"] is True
            assert tab["me"] == 200


def test_a_replayed_cookie_ends_the_session_and_expires_it(seen: dict[str, Any]) -> None:
    replay = seen["replay"]
    assert replay["thief"] == {"restored": False, "me": 401}
    assert replay["victim"] == {"refreshed": False, "status": 401, "loggedIn": False}
    assert replay["cookieAfter"] is None  # the refused refresh expired it


def test_logout_clears_the_cookie(seen: dict[str, Any]) -> None:
    logout = seen["logout"]
    assert logout["cookieBefore"] is True
    assert logout["cookieAfter"] is None
    assert logout["afterReload"] == {"restored": False, "me": 401}
