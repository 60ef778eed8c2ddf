"""How an API key travels: ``Authorization: Api-Key <key>``, never in a URL.

A key in a query string ends up in access logs, browser history, proxies and ``Referer``
headers; such a request is refused with ``400 api_key_in_query`` (the key should be rotated).
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, status

#: The ``Authorization`` scheme of API keys.
KEYWORD = "Api-Key"
#: Query parameters (compared case-insensitively) that are refused as carrying a key.
QUERY_PARAMETERS = frozenset({"api_key", "apikey", "api-key", "x-api-key", "x_api_key"})


class ApiKeyInQuery(exceptions.APIException):
    """An API key in the query string: 400, whatever else the request carries."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = (
        "API keys are not accepted in the URL; send 'Authorization: Api-Key <key>' and rotate "
        "the key, which has been exposed."
    )
    default_code = "api_key_in_query"


def presented_key(request: Any) -> str | None:
    """The key of ``Authorization: Api-Key <key>``; ``None`` for another scheme or no header.

    An ``Api-Key`` header that is not exactly two parts gives ``""`` (malformed, refused).
    """
    header = request.META.get("HTTP_AUTHORIZATION")
    if not isinstance(header, str):
        return None
    parts = header.split()
    if not parts or parts[0].lower() != KEYWORD.lower():
        return None
    return parts[1] if len(parts) == 2 else ""


def key_in_query(request: Any) -> bool:
    """Whether the query string has a parameter named like an API key."""
    query = getattr(request, "query_params", None) or request.GET
    return any(name.lower() in QUERY_PARAMETERS for name in query)


def presents_api_key(request: Any) -> bool:
    """Whether the request carries an API key, in the header or the query string."""
    return presented_key(request) is not None or key_in_query(request)
