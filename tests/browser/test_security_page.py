"""The admin's security page in Chromium, after a scripted attack on the running testproject.

The testproject runs in its production profile under gunicorn with TLS and two workers (the one
harness, ``django_apisec.testing.server.serve``), behind a trusted proxy on 127.0.0.1 so the
attack spreads over many client addresses through ``X-Forwarded-For``. The attack, sent from
here: a credential-stuffing wave over 40 accounts and 40 networks (detected: logins tightened),
one address throttled by the login throttle, and a victim's account locked by wrong passwords.
``security_page.mjs`` then drives Debian's Chromium through playwright-core: an operator logs in
to the admin, the page shows the attack's figures (whichever worker answers: the series live in
Redis), a screenshot is saved to ``docs/_static/security-page.png``, and the page's unlock
button frees the victim, who then logs in.

Skipped with the reason when ``node`` or ``/usr/bin/chromium`` is missing, unless
``APISEC_REQUIRE_SERVICES=1`` (CI), which makes it fail.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import django
import pytest

from tests.browser.conftest import create_users_code, deployment, run_script

if TYPE_CHECKING:
    from django_apisec.testing.server import Server

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "_static" / "security-page.png"
PASSWORD = "browser test passphrase 42"
PAGE = "/admin/apisec_monitoring/securityoverview/"
VICTIM = "victim"
VICTIM_ADDRESS = "203.0.113.50"
PROBE_ADDRESS = "198.51.100.77"
WAVE_ACCOUNTS = 40
WAVE_ROUNDS = 3  # each account fails 3 times: under the lockout's threshold of 5
PROBES = 25  # from one address: the login_ip rate refuses all but the first 8
LOGIN_IP_RATE = "8/hour"  # slow enough that no slot comes back during the run


def login(server: Server, username: str, password: str, address: str) -> int:
    answer = server.request(
        "POST",
        "/api/auth/login/",
        {"username": username, "password": password},
        {"X-Forwarded-For": address},
    )
    return answer.status


def attack(server: Server) -> dict[str, list[int]]:
    """The scripted attack; the statuses it got, by part."""
    statuses: dict[str, list[int]] = {"victim": [], "wave": [], "probe": []}
    for guess in range(WAVE_ACCOUNTS * WAVE_ROUNDS):
        account = guess % WAVE_ACCOUNTS
        address = f"10.{account}.0.{5 + guess // WAVE_ACCOUNTS}"
        statuses["wave"].append(login(server, f"user{account}", f"guess {guess}", address))
    for guess in range(PROBES):
        statuses["probe"].append(login(server, f"probe{guess}", "guess", PROBE_ADDRESS))
    # The victim last: the lock (60 s) still holds when the operator opens the page.
    for guess in range(5):
        statuses["victim"].append(login(server, VICTIM, f"wrong {guess}", VICTIM_ADDRESS))
    statuses["victim"].append(login(server, VICTIM, PASSWORD, VICTIM_ADDRESS))  # locked
    return statuses


@pytest.fixture(scope="module")
def seen(node: str, migrated_sqlite: Path) -> dict[str, Any]:
    """The attack's statuses, what the browser saw, and the victim's login after the unlock."""
    with deployment(
        migrated_sqlite,
        create_users_code(((VICTIM, PASSWORD),), superusers=(("operator", PASSWORD),)),
        {"workers": 2},
        # Tightened, the wave's remaining guesses still pass: the victim's login is the test.
        APISEC_ATTACK_LOGIN_RATE="600/min",
        APISEC_RATE_LOGIN_IP=LOGIN_IP_RATE,
    ) as server:
        statuses = attack(server)
        config = {
            "base": f"https://localhost:{server.port}",
            "pagePath": PAGE,
            "username": "operator",
            "password": PASSWORD,
            "victim": VICTIM,
            "screenshot": str(SCREENSHOT),
            "staticRoots": [str(Path(django.__file__).parent / "contrib" / "admin" / "static")],
        }
        browser = run_script(node, "security_page.mjs", config, server, timeout=180)
        after_unlock = login(server, VICTIM, PASSWORD, VICTIM_ADDRESS)
        return {"statuses": statuses, "browser": browser, "after_unlock": after_unlock}


def test_the_scripted_attack_happened(seen: dict[str, Any]) -> None:
    statuses = seen["statuses"]
    assert statuses["victim"] == [401, 401, 401, 401, 401, 429]  # locked at the 5th failure
    assert set(statuses["wave"]) == {401}  # every guess checked, none locked or throttled
    assert statuses["probe"] == [401] * 8 + [429] * 17  # the login_ip rate: 8/hour


def test_the_operator_reaches_the_page_through_the_admin_login(seen: dict[str, Any]) -> None:
    browser = seen["browser"]
    assert browser["landedOn"] == PAGE
    assert browser["before"]["title"].startswith("Security overview")
    assert browser["consoleErrors"] == []
    assert browser["cspViolations"] == []  # no inline style or script: the CSP holds
    assert browser["before"]["externalResources"] == []  # no CDN


def test_the_charts_show_the_attack(seen: dict[str, Any]) -> None:
    charts = seen["browser"]["before"]["charts"]
    failed = WAVE_ACCOUNTS * WAVE_ROUNDS + 8 + 5
    assert charts["failed_logins"]["total"] == failed
    assert charts["lockouts"]["total"] == 1
    assert charts["throttled"]["total"] == 17
    assert charts["token_reuse"]["total"] == 0
    for chart in charts.values():
        assert chart["width"] > 600  # drawn, at its size
        assert chart["height"] > 100
        assert chart["points"] == 24 * 60 + 2  # a point a minute, closed along the axis
    # The attack took a few minutes (how many depends on the machine): its minutes are drawn.
    assert 0 < charts["failed_logins"]["peak"] <= failed


def test_the_page_lists_the_locked_account_the_networks_and_the_tightening(
    seen: dict[str, Any],
) -> None:
    before = seen["browser"]["before"]
    assert before["locked"] == [VICTIM]
    assert before["networks"][0] == ["198.51.100.0/24", 8]
    assert before["networks"][1] == ["203.0.113.0/24", 5]
    assert [count for _, count in before["networks"][2:]] == [WAVE_ROUNDS] * 8
    assert before["tightened"] is not None  # the wave was detected (100 / 30 / 10)


def test_unlock_from_the_page_lets_the_victim_log_in(seen: dict[str, Any]) -> None:
    after = seen["browser"]["after"]
    assert after["locked"] == []
    assert after["messages"] == [f"{VICTIM.capitalize()}: unlocked."]
    assert seen["after_unlock"] == 200
    assert SCREENSHOT.stat().st_size > 10_000
