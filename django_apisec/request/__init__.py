"""What every layer knows about a request: its id and the client's address behind trusted
proxies.

Import the public names from here (``from django_apisec.request import ...``, docs/api.rst). They
are loaded on first access: importing this package imports neither DRF nor a model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django_apisec import lazy_exports

if TYPE_CHECKING:
    from django_apisec.request.addresses import (
        client_ip,
        rate_bucket_ip,
        ratelimit_key,
    )
    from django_apisec.request.request_id import RequestIdFilter

__all__ = [
    "RequestIdFilter",
    "client_ip",
    "rate_bucket_ip",
    "ratelimit_key",
]

# Grouped by defining module: a module that moves changes one group.
_EXPORTS = {
    # addresses
    "client_ip": "django_apisec.request.addresses",
    "rate_bucket_ip": "django_apisec.request.addresses",
    "ratelimit_key": "django_apisec.request.addresses",
    # request_id
    "RequestIdFilter": "django_apisec.request.request_id",
}


def __getattr__(name: str) -> object:
    return lazy_exports.load(__name__, _EXPORTS, name)


def __dir__() -> list[str]:
    return lazy_exports.names(globals(), _EXPORTS)
