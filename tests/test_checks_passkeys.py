"""The passkey checks report exactly their ids: E517, E518 (deploy), E633-E635, E663."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.test import override_settings

from django_apisec.checks import passkeys, settings
from django_apisec.conf import apisec_settings

if TYPE_CHECKING:
    from tests.conftest import DeployIds


def ids(messages: list[Any]) -> list[str]:
    return [m.id for m in messages]


def all_checks() -> list[str]:
    return ids(
        passkeys.check_passkey_origins()
        + passkeys.check_passkey_relying_party()
        + settings.check_passkey_origins_https()
    )


def test_passkeys_off_are_never_reported() -> None:
    with override_settings(APISEC_WEBAUTHN_RP_ID=None, APISEC_WEBAUTHN_ORIGINS=["http://x.org"]):
        assert all_checks() == []


@override_settings(ALLOWED_HOSTS=["api.example.com"])
def test_a_relying_party_of_the_served_domain_passes() -> None:
    for rp_id in ("api.example.com", "example.com"):
        with override_settings(APISEC_WEBAUTHN_RP_ID=rp_id):
            assert all_checks() == []
    origins = ["https://example.com", "https://app.example.com:8443"]
    with override_settings(APISEC_WEBAUTHN_RP_ID="example.com", APISEC_WEBAUTHN_ORIGINS=origins):
        assert all_checks() == []


@override_settings(ALLOWED_HOSTS=["api.example.com", "10.0.0.5"])
def test_a_relying_party_the_deployment_does_not_serve_is_e518() -> None:
    # A look-alike suffix is not a subdomain.
    for rp_id in ("example.org", "pi.example.com", "xample.com"):
        with override_settings(APISEC_WEBAUTHN_RP_ID=rp_id):
            assert all_checks() == ["apisec.E518"], rp_id


def test_a_wildcard_subdomain_entry_serves_its_domain() -> None:
    with override_settings(ALLOWED_HOSTS=[".example.com"], APISEC_WEBAUTHN_RP_ID="example.com"):
        assert all_checks() == []


@override_settings(ALLOWED_HOSTS=["example.com"], APISEC_WEBAUTHN_RP_ID="example.com")
def test_an_origin_off_the_relying_party_is_e517() -> None:
    for origin in ("https://example.com.evil.net", "https://notexample.com", "https://evil.net"):
        with override_settings(APISEC_WEBAUTHN_ORIGINS=["https://example.com", origin]):
            assert all_checks() == ["apisec.E517"], origin


@override_settings(ALLOWED_HOSTS=["example.com"], APISEC_WEBAUTHN_RP_ID="example.com")
def test_an_http_origin_is_e663() -> None:
    with override_settings(APISEC_WEBAUTHN_ORIGINS=["http://example.com"]):
        assert all_checks() == ["apisec.E663"]


@pytest.mark.parametrize(
    ("name", "value", "used"),
    [
        ("APISEC_WEBAUTHN_RP_ID", "https://example.com", None),
        ("APISEC_WEBAUTHN_RP_ID", "Example.com", None),
        ("APISEC_WEBAUTHN_RP_ID", "192.0.2.1", None),
        ("APISEC_WEBAUTHN_RP_ID", "example.com:443", None),
        ("APISEC_WEBAUTHN_RP_NAME", "", None),
        ("APISEC_WEBAUTHN_RP_NAME", "x" * 65, None),
        ("APISEC_WEBAUTHN_ORIGINS", "https://example.com", ()),
        ("APISEC_WEBAUTHN_ORIGINS", ["https://example.com/login"], ()),
        ("APISEC_WEBAUTHN_ORIGINS", ["example.com"], ()),
    ],
)
def test_unusable_passkey_settings_are_reported_and_fail_closed(
    name: str, value: object, used: object
) -> None:
    expected = {
        "APISEC_WEBAUTHN_RP_ID": "apisec.E633",
        "APISEC_WEBAUTHN_RP_NAME": "apisec.E634",
        "APISEC_WEBAUTHN_ORIGINS": "apisec.E635",
    }[name]
    with override_settings(**{name: value}):
        assert ids(settings.check_settings_usable()) == [expected]
        assert getattr(apisec_settings, name.removeprefix("APISEC_")) == used


def test_the_testproject_in_production_serves_passkeys_on_its_host(
    production_settings: dict[str, Any], deploy_ids: DeployIds
) -> None:
    assert production_settings["APISEC_WEBAUTHN_RP_ID"] == "api.example.com"
    found = deploy_ids()
    assert not {"apisec.E517", "apisec.E518", "apisec.E663"} & found


def test_allowed_hosts_that_is_no_list_is_read_as_the_other_host_checks_read_it() -> None:
    # A lone string is one host (as for apisec.E003/E042), never its characters "e", "x", ...
    with override_settings(ALLOWED_HOSTS="api.example.com", APISEC_WEBAUTHN_RP_ID="example.com"):
        assert passkeys._allowed_hosts() == ["api.example.com"]
        assert all_checks() == []
    with override_settings(ALLOWED_HOSTS="example.org", APISEC_WEBAUTHN_RP_ID="example.com"):
        assert all_checks() == ["apisec.E518"]
    # Anything else serves no host at all: that is apisec.E042's to report, not E518's.
    for hosts in (None, 5, {"example.org": True}):
        with override_settings(ALLOWED_HOSTS=hosts, APISEC_WEBAUTHN_RP_ID="example.com"):
            assert passkeys._allowed_hosts() == []
            assert all_checks() == []
