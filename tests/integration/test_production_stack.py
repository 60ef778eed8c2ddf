"""The testproject as deployed: production profile, PostgreSQL and Redis, on every shape:
gunicorn (WSGI), gunicorn with uvicorn workers (ASGI) and uvicorn alone (ASGI).

These tests use only the standard library as HTTP client, so they see exactly what a client on
the network sees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.integration.support import log_in

if TYPE_CHECKING:
    from django_apisec.testing.server import Server
    from tests.integration.conftest import Account, Manage

pytestmark = pytest.mark.integration

ONE_YEAR = 365 * 24 * 3600


def test_check_deploy_passes_in_production(manage: Manage) -> None:
    result = manage("check", "--deploy", check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "apisec.E" not in result.stdout + result.stderr


def test_health_answers_with_security_headers(server: Server) -> None:
    response = server.request("GET", "/api/health/")

    assert response.status == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["Content-Type"].startswith("application/json")
    hsts = response.headers["Strict-Transport-Security"]
    max_age = int(hsts.split("max-age=")[1].split(";")[0])
    assert max_age >= ONE_YEAR
    assert "includeSubDomains" in hsts
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_plain_http_is_redirected_to_https(server: Server) -> None:
    response = server.request("GET", "/api/health/", default_headers=False)

    assert response.status == 301
    assert response.headers["Location"].startswith("https://")


def test_api_requires_authentication(server: Server) -> None:
    assert server.request("GET", "/api/me/").status == 401
    assert server.request("GET", "/api/notes/").status == 401


def test_wrong_password_is_refused(server: Server, accounts: tuple[Account, Account]) -> None:
    owner, _ = accounts

    response = server.request(
        "POST", "/api/auth/login/", body={"username": owner.username, "password": "wrong" * 4}
    )

    assert response.status == 401
    assert "access" not in response.json()


def test_login_me_and_owned_notes(server: Server, accounts: tuple[Account, Account]) -> None:
    owner, other = accounts
    token = log_in(server, owner.username, owner.password).json()["access"]

    me = server.request("GET", "/api/me/", token=token)
    assert me.status == 200
    assert me.json()["username"] == owner.username

    created = server.request(
        "POST", "/api/notes/", token=token, body={"title": "groceries", "body": "oat milk"}
    )
    assert created.status == 201, created.body
    note = created.json()
    assert note["owner"] == owner.username

    listed = server.request("GET", "/api/notes/", token=token)
    assert listed.status == 200
    assert [item["id"] for item in listed.json()["results"]] == [note["id"]]

    # The attack: another authenticated user goes straight for the note's id.
    intruder = log_in(server, other.username, other.password).json()["access"]
    url = f"/api/notes/{note['id']}/"
    foreign = server.request("GET", url, token=intruder)
    missing = server.request("GET", "/api/notes/987654321/", token=intruder)
    assert foreign.status == missing.status == 404
    assert foreign.body == missing.body
    assert server.request("PATCH", url, token=intruder, body={"title": "mine"}).status == 404
    assert server.request("DELETE", url, token=intruder).status == 404
    assert server.request("GET", "/api/notes/", token=intruder).json()["results"] == []

    # ... and it changed nothing.
    unchanged = server.request("GET", url, token=token)
    assert unchanged.status == 200
    assert unchanged.json()["title"] == "groceries"
