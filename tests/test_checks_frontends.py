"""Front-end checks: a listed SPA origin must be able to carry the session's refresh cookie."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.test import override_settings

from django_apisec.checks import frontends
from django_apisec.hardening.apply import PROJECT
from tests.conftest import PRODUCTION_ENV, load_testproject_settings

if TYPE_CHECKING:
    from tests.conftest import DeployIds

APP = "https://app.example.com"  # the testproject's production ALLOWED_HOSTS is api.example.com


def hardened_with(**env: str) -> dict[str, Any]:
    return load_testproject_settings({**PRODUCTION_ENV, **env})


def test_listing_the_spa_origin_in_the_environment_is_enough() -> None:
    # The configuration a user naturally writes: only CORS_ALLOWED_ORIGINS.
    settings = hardened_with(CORS_ALLOWED_ORIGINS=APP)
    assert settings["CORS_ALLOWED_ORIGINS"] == [APP]
    assert settings["CORS_ALLOW_CREDENTIALS"] is True


def test_a_hardened_allowlist_passes_the_gate(deploy_ids: DeployIds) -> None:
    settings = hardened_with(CORS_ALLOWED_ORIGINS=APP)
    cors = {k: settings[k] for k in ("CORS_ALLOWED_ORIGINS", "CORS_ALLOW_CREDENTIALS")}
    assert deploy_ids(**cors) == deploy_ids()


def explicit_no_credentials(**cors: Any) -> dict[str, Any]:
    report = {**load_testproject_settings(PRODUCTION_ENV)["APISEC_HARDENING_REPORT"]}
    report["CORS_ALLOW_CREDENTIALS"] = PROJECT
    return {**cors, "CORS_ALLOW_CREDENTIALS": False, "APISEC_HARDENING_REPORT": report}


@pytest.mark.parametrize(
    "cors",
    [
        {"CORS_ALLOWED_ORIGINS": [APP]},
        {"CORS_ALLOWED_ORIGIN_REGEXES": [r"^https://app\.example\.com$"]},
    ],
)
def test_listed_origins_without_credentials_fail_the_gate(
    deploy_ids: DeployIds, cors: dict[str, Any]
) -> None:
    assert deploy_ids(**explicit_no_credentials(**cors)) - deploy_ids() == {"apisec.E320"}


def test_a_project_without_harden_and_without_credentials_is_reported() -> None:
    with override_settings(CORS_ALLOWED_ORIGINS=[APP], CORS_ALLOW_CREDENTIALS=False):
        del_report = {"APISEC_HARDENING_REPORT": None}
        with override_settings(**del_report):
            ids = [m.id for m in frontends.check_credentials_for_listed_origins()]
    assert ids == ["apisec.E320"]


def test_credentials_are_not_asked_of_allow_all_nor_without_session_views() -> None:
    base = explicit_no_credentials(CORS_ALLOWED_ORIGINS=[APP])
    with override_settings(**base, CORS_ALLOW_ALL_ORIGINS=True):
        assert frontends.check_credentials_for_listed_origins() == []
    # A project serving bearer-token clients only routes no view that reads the cookie.
    with override_settings(**base, ROOT_URLCONF="tests.ownership_urls"):
        assert frontends.check_credentials_for_listed_origins() == []
        with override_settings(CORS_ALLOW_CREDENTIALS=True):
            assert frontends.check_origins_same_site() == []


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        ("https://app.example.com", set()),
        ("https://example.com:8443", set()),
        ("https://app.example.net", {"apisec.W321"}),
        ("https://example.com.attacker.net", {"apisec.W321"}),
        ("https://localhost:18544", {"apisec.W321"}),
    ],
)
def test_an_origin_on_another_site_is_reported(
    deploy_ids: DeployIds, origin: str, expected: set[str]
) -> None:
    cors = {"CORS_ALLOWED_ORIGINS": [origin], "CORS_ALLOW_CREDENTIALS": True}
    assert deploy_ids(**cors) - deploy_ids() == expected


@pytest.mark.parametrize(
    ("hosts", "origin", "reported"),
    [
        (["localhost"], "https://localhost:18544", False),
        ([".example.com"], "https://app.example.com", False),
        (["127.0.0.1"], "https://127.0.0.1:3000", False),
        (["[::1]"], "https://[::1]:3000", False),
        (["[::1]"], "https://127.0.0.1:3000", True),
        # ALLOWED_HOSTS that name no host say nothing about the API's site.
        (["*"], "https://app.example.net", False),
        ("api.example.com", "https://app.example.net", False),
        # Not judged: plain http (apisec.E305/E311/W306) and malformed origins (corsheaders).
        (["api.example.com"], "http://app.example.net", False),
        (["api.example.com"], "https://[broken", False),
    ],
)
def test_site_comparison(hosts: Any, origin: str, reported: bool) -> None:
    with override_settings(
        ALLOWED_HOSTS=hosts, CORS_ALLOWED_ORIGINS=[origin], CORS_ALLOW_CREDENTIALS=True
    ):
        ids = [m.id for m in frontends.check_origins_same_site()]
    assert ids == (["apisec.W321"] if reported else [])


def test_same_site_is_not_judged_without_credentials() -> None:
    # Without credentials no cookie is sent at all: apisec.E320 is the finding.
    with override_settings(
        ALLOWED_HOSTS=["api.example.com"],
        CORS_ALLOWED_ORIGINS=["https://app.example.net"],
        CORS_ALLOW_CREDENTIALS=False,
    ):
        assert frontends.check_origins_same_site() == []
