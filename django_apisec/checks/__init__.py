"""The deploy gate: ``apisec.*`` system checks, one module per topic.

Importing this package registers every check with Django (``AppConfig.ready()`` does it). Ids are
grouped by hundreds: 0xx Django core (``core``, ``transport``, ``cookies``, ``headers``,
``passwords``), 1xx DRF, 2xx JWT, 3xx CORS, 4xx abuse controls and proxies, 5xx views audit
(``E517``-``E539``: MFA and passkeys, ``passkeys``), 6xx django_apisec's own ``APISEC_*``
settings (``settings``). Each id is declared once (see :mod:`django_apisec.checks.registry`)
and documented once in ``docs/checks/*.rst``.
"""

from __future__ import annotations

from django_apisec.checks import (
    abuse,
    apikeys,
    cookies,
    core,
    cors,
    drf,
    drf_limits,
    frontends,
    headers,
    jwt,
    jwt_keys,
    monitoring,
    passkeys,
    passwords,
    proxies,
    settings,
    store,
    transport,
    views_audit,
)
from django_apisec.checks.registry import MESSAGES

__all__ = [
    "MESSAGES",
    "abuse",
    "apikeys",
    "cookies",
    "core",
    "cors",
    "drf",
    "drf_limits",
    "frontends",
    "headers",
    "jwt",
    "jwt_keys",
    "monitoring",
    "passkeys",
    "passwords",
    "proxies",
    "settings",
    "store",
    "transport",
    "views_audit",
]
