"""Passkey (WebAuthn) checks: the relying party matches the deployment (``apisec.E517``-``E518``).

They apply only while passkeys are on (``APISEC_WEBAUTHN_RP_ID`` set). A browser creates and uses
a passkey only on a page whose host is the relying-party id or a subdomain of it, so an origin
elsewhere can never complete a ceremony, and a relying-party id that none of the served hosts
belongs to binds the users' passkeys to a domain this deployment does not serve. The https rule
for the origins in production is ``apisec.E663`` (:mod:`django_apisec.checks.settings`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings

from django_apisec.checks.core import as_list
from django_apisec.checks.registry import deploy_check, emit, error
from django_apisec.mfa.passkeys import relying_party

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

E517 = error(
    "apisec.E517",
    "The passkey origin {origin!r} is not on the relying party {rp_id!r} (its host is neither "
    "{rp_id!r} nor a subdomain of it): browsers refuse every passkey ceremony of that page.",
    "List in APISEC_WEBAUTHN_ORIGINS only pages on APISEC_WEBAUTHN_RP_ID or its subdomains, "
    "or set APISEC_WEBAUTHN_RP_ID to the registrable domain they share (e.g. 'example.com' "
    "for https://app.example.com and https://example.com).",
)
E518 = error(
    "apisec.E518",
    "APISEC_WEBAUTHN_RP_ID is {rp_id!r}, but no host in ALLOWED_HOSTS ({hosts}) is {rp_id!r} or "
    "a subdomain of it: the passkeys would belong to a domain this deployment does not serve.",
    "Set APISEC_WEBAUTHN_RP_ID to the domain the API is deployed on (or the registrable domain "
    "shared by the API and its front end), e.g. 'example.com' for api.example.com.",
)


def on_relying_party(host: str, rp_id: str) -> bool:
    """Whether ``host`` is ``rp_id`` or a subdomain of it (what browsers require)."""
    host = host.lower().rstrip(".")
    return host == rp_id or host.endswith(f".{rp_id}")


def _allowed_hosts() -> list[str]:
    # A lone string is one host, as for apisec.E003/E042; anything else but a list is none.
    hosts = as_list(getattr(settings, "ALLOWED_HOSTS", []))
    # ".example.com" serves example.com and its subdomains; "*" is apisec.E003's business.
    return [h.lstrip(".") for h in hosts if isinstance(h, str) and h and h != "*"]


@deploy_check
def check_passkey_origins(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E517: every passkey origin is on the relying-party id."""
    rp = relying_party()
    if rp is None:
        return []
    return [
        emit(E517, origin=origin, rp_id=rp.id)
        for origin in rp.origins
        if not on_relying_party(urlsplit(origin).hostname or "", rp.id)
    ]


@deploy_check
def check_passkey_relying_party(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E518: the relying-party id is a domain the deployment serves."""
    rp = relying_party()
    if rp is None:
        return []
    hosts = _allowed_hosts()
    if not hosts or any(on_relying_party(host, rp.id) for host in hosts):
        return []  # an empty ALLOWED_HOSTS is apisec.E042's
    return [emit(E518, rp_id=rp.id, hosts=", ".join(repr(h) for h in hosts))]
