"""Issuing, verifying, revoking and rotating API keys.

Keys are ``<prefix>.<secret>``, generated and hashed by djangorestframework-api-key's
``KeyGenerator``: 8 + 32 random characters (about 238 bits), hashed with its SHA-512 key hasher.
A fast hash is right for keys, unlike passwords: a key is random, so nothing can be guessed
from its hash, and a slow hash per request would be a denial of service. Only the prefix (to find
the row) and the hash are stored; the key is returned once, by :func:`issue_key`.

:func:`find_key` does the same work whatever the key: one query by prefix and one hash
comparison (against a dummy hash when the prefix is unknown or the key malformed), so timing
does not tell an unknown prefix from a wrong secret.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import get_random_string
from rest_framework_api_key.crypto import KeyGenerator, Sha512ApiKeyHasher

from django_apisec.conf import apisec_settings
from django_apisec.models import APIKey
from django_apisec.observability import events
from django_apisec.signals import api_key_created, api_key_revoked

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "address_allowed",
    "find_key",
    "issue_key",
    "normalise_networks",
    "parse_networks",
    "rejection_reason",
    "revoke_key",
    "rotate_key",
    "touch",
]

GENERATOR = KeyGenerator()
HASHER = Sha512ApiKeyHasher()
# prefix "." secret, as KeyGenerator makes them; anything else is malformed.
KEY_SHAPE = re.compile(r"([A-Za-z0-9]{8})\.[A-Za-z0-9]{32}")
# A malformed key is hashed too (bounded), so its refusal costs what any other refusal costs.
MAX_HASHED_LENGTH = 128
#: ``last_used_at`` is written at most this often per key.
LAST_USED_INTERVAL = timedelta(minutes=1)
# Hash of no key anyone holds: compared against when no row matches.
DUMMY_HASH = GENERATOR.hash(get_random_string(41))
# Attempts at a unique prefix (62**8 prefixes: a collision is rare, two in a row rarer still).
PREFIX_ATTEMPTS = 3


@functools.lru_cache(maxsize=1024)
def parse_networks(
    cidrs: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """``allowed_ips`` as networks; an entry that does not parse allows nothing."""
    return tuple(network for cidr in cidrs if (network := _network(cidr)) is not None)


def _network(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None


def normalise_networks(cidrs: Iterable[str]) -> list[str]:
    """Validate CIDRs (or addresses) and return them in canonical form; ``ValueError`` if not."""
    return [str(ipaddress.ip_network(cidr, strict=False)) for cidr in cidrs]


def address_allowed(key: APIKey, address: str) -> bool:
    """Whether ``address`` (from ``client_ip()``) is in the key's networks; no networks: any."""
    if not key.allowed_ips:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in parse_networks(tuple(key.allowed_ips)))


def find_key(raw: str) -> APIKey | None:
    """The stored key whose hash matches ``raw`` (revoked or expired ones included), or ``None``.

    One query by prefix and one constant-time hash comparison, whatever ``raw`` is.
    """
    match = KEY_SHAPE.fullmatch(raw) if len(raw) <= MAX_HASHED_LENGTH else None
    prefix = match[1] if match else ""
    rows = list(APIKey.objects.select_related("user").filter(prefix=prefix)[:1])
    row = rows[0] if rows else None
    verified = HASHER.verify(raw[:MAX_HASHED_LENGTH], row.hashed_key if row else DUMMY_HASH)
    return row if verified and match else None


def rejection_reason(key: APIKey | None, address: str, now: datetime) -> str | None:
    """Why ``key`` cannot authenticate a request from ``address``, or ``None`` when it can."""
    if key is None:
        return "unknown"
    if key.revoked:
        return "revoked"
    if key.expires_at is not None and key.expires_at <= now:
        return "expired"
    if not key.user.is_active:
        return "inactive"
    if not address_allowed(key, address):
        return "ip"
    return None


def touch(key: APIKey, now: datetime) -> None:
    """Record that ``key`` was used, at most once per :data:`LAST_USED_INTERVAL` per key.

    The conditional ``UPDATE`` keeps concurrent workers from all writing the same minute.
    """
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_INTERVAL:
        return
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_INTERVAL)
    APIKey.objects.filter(stale, pk=key.pk).update(last_used_at=now)
    key.last_used_at = now


def issue_key(
    user: Any,
    *,
    name: str,
    scopes: Iterable[str] = (),
    expires_at: datetime | None = None,
    allowed_ips: Iterable[str] = (),
    request: Any = None,
) -> tuple[APIKey, str]:
    """Create a key for ``user``; return it and the key text, which is never available again.

    Scopes must be in ``APISEC_API_KEY_SCOPES`` and networks valid CIDRs (``ValueError``).
    """
    scope_list = sorted(set(scopes))
    unknown = set(scope_list) - apisec_settings.API_KEY_SCOPES
    if unknown:
        raise ValueError(f"Unknown scopes: {', '.join(sorted(unknown))}")
    networks = normalise_networks(allowed_ips)
    for _attempt in range(PREFIX_ATTEMPTS):  # pragma: no branch
        raw, prefix, hashed = GENERATOR.generate()
        key = APIKey(
            user=user,
            name=name,
            prefix=prefix,
            hashed_key=hashed,
            scopes=scope_list,
            allowed_ips=networks,
            created_at=timezone.now(),
            expires_at=expires_at,
        )
        try:
            with transaction.atomic():
                key.save(force_insert=True)
            break
        except IntegrityError:  # pragma: no cover - a prefix collision (1 in 2**47)
            if _attempt == PREFIX_ATTEMPTS - 1:
                raise
    events.record(
        events.API_KEY_CREATED,
        request=request,
        user=user,
        outcome=events.SUCCESS,
        key_id=str(key.pk),
        prefix=key.prefix,
        scopes=key.scopes,
    )
    api_key_created.send(sender=APIKey, key=key, user=user, request=request)
    return key, raw


def revoke_key(key: APIKey, *, by: str, request: Any = None) -> bool:
    """Revoke ``key``: every worker refuses it from its next request. ``False``: it already was."""
    now = timezone.now()
    changed = APIKey.objects.filter(pk=key.pk, revoked=False).update(revoked=True, revoked_at=now)
    key.revoked = True
    key.revoked_at = key.revoked_at or now
    if not changed:
        return False
    events.record(
        events.API_KEY_REVOKED,
        request=request,
        user=key.user,
        outcome=events.SUCCESS,
        key_id=str(key.pk),
        prefix=key.prefix,
        by=by,
    )
    api_key_revoked.send(sender=APIKey, key=key, user=key.user, by=by, request=request)
    return True


def rotate_key(
    key: APIKey, *, overlap: int | None = None, request: Any = None
) -> tuple[APIKey, str]:
    """A successor of ``key`` (same owner, name, scopes, networks, expiry); ``key`` expires later.

    The old key keeps working for ``overlap`` seconds (default ``APISEC_API_KEY_ROTATION_OVERLAP``)
    so that clients can be moved to the new key without downtime.
    """
    seconds = apisec_settings.API_KEY_ROTATION_OVERLAP if overlap is None else overlap
    successor, raw = issue_key(
        key.user,
        name=key.name,
        scopes=[s for s in key.scopes if s in apisec_settings.API_KEY_SCOPES],
        expires_at=key.expires_at,
        allowed_ips=key.allowed_ips,
        request=request,
    )
    ends = timezone.now() + timedelta(seconds=seconds)
    if key.expires_at is None or key.expires_at > ends:
        key.expires_at = ends
        APIKey.objects.filter(pk=key.pk).update(expires_at=ends)
    return successor, raw
