"""``ApiKeyAuthentication``: ``Authorization: Api-Key <key>`` authenticates as the key's owner.

Add it after ``JWTSessionAuthentication`` in ``DEFAULT_AUTHENTICATION_CLASSES`` and
:class:`~django_apisec.apikeys.throttling.ApiKeyRateThrottle` to the throttles. Unknown,
malformed, revoked, expired, IP-disallowed keys and keys of inactive users all get the same 401
``api_key_invalid`` after the same work (see :func:`~django_apisec.apikeys.keys.find_key`); the
reason is recorded in the ``api_key_rejected`` security event, never in the response. A valid
key outside its scopes is a 403 ``api_key_scope``; a key in the query string a 400
``api_key_in_query``; a key over plain http (``APISEC_API_KEY_HTTPS_ONLY``) a 401
``api_key_insecure_transport``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied

from django_apisec.abuse.throttling import count_failed_authentication
from django_apisec.apikeys.keys import find_key, rejection_reason, touch
from django_apisec.apikeys.scopes import scope_allows
from django_apisec.apikeys.transport import (
    KEYWORD,
    ApiKeyInQuery,
    key_in_query,
    presented_key,
    presents_api_key,
)
from django_apisec.conf import apisec_settings
from django_apisec.observability import events
from django_apisec.request.addresses import client_ip
from django_apisec.signals import api_key_rejected

if TYPE_CHECKING:
    from rest_framework.request import Request

    from django_apisec.models import APIKey

__all__ = [
    "ApiKeyAuthentication",
    "refuse_api_key",
    "reject",
]

INVALID_API_KEY = "Invalid API key."
OUT_OF_SCOPE = "This API key's scopes do not allow this request."
INSECURE = "API keys are only accepted over https."
NOT_ALLOWED = "API keys cannot be used here."


def reject(reason: str, request: Any, key: APIKey | None = None) -> None:
    """Record the ``api_key_rejected`` event and signal (the reason never reaches the client)."""
    fields = {"reason": reason}
    if key is not None:
        fields["key_id"] = str(key.pk)
    events.record(
        events.API_KEY_REJECTED,
        request=request,
        user=key.user if key is not None else None,
        outcome=events.DENIED,
        **fields,
    )
    api_key_rejected.send(sender=ApiKeyAuthentication, reason=reason, key=key, request=request)


def refuse_api_key(request: Any) -> None:
    """403 ``api_key_not_allowed`` for a request that carries a key (auth and key endpoints)."""
    if presents_api_key(request):
        reject("not_allowed", request)
        raise PermissionDenied(NOT_ALLOWED, code="api_key_not_allowed")


class ApiKeyAuthentication(BaseAuthentication):
    """``Authorization: Api-Key <key>``: the key's owner, within the key's scopes.

    ``request.auth`` is the :class:`~django_apisec.models.APIKey`; ``request.user`` its owner.
    """

    def authenticate(self, request: Request) -> tuple[Any, APIKey] | None:
        """The owner and key of a valid key header; ``None`` without one.

        A refused key counts toward the client's anonymous rate
        (:func:`~django_apisec.abuse.throttling.count_failed_authentication`).
        """
        try:
            return self.authenticate_key(request)
        except AuthenticationFailed:
            count_failed_authentication(request)
            raise

    def authenticate_key(self, request: Request) -> tuple[Any, APIKey] | None:
        """:meth:`authenticate` without counting a refusal toward the anonymous rate."""
        if key_in_query(request):
            reject("query_string", request)
            raise ApiKeyInQuery
        raw = presented_key(request)
        if raw is None:
            return None
        if apisec_settings.API_KEY_HTTPS_ONLY and not request.is_secure():
            reject("insecure_transport", request)
            raise AuthenticationFailed(INSECURE, code="api_key_insecure_transport")
        key = find_key(raw)
        reason = rejection_reason(key, client_ip(request), timezone.now())
        if reason is not None:
            reject(reason, request, key)
            raise AuthenticationFailed(INVALID_API_KEY, code="api_key_invalid")
        assert key is not None  # noqa: S101 - rejection_reason refuses a missing key
        view = (request.parser_context or {}).get("view")
        if not scope_allows(key.scopes, view, request.method or ""):
            reject("scope", request, key)
            raise PermissionDenied(OUT_OF_SCOPE, code="api_key_scope")
        touch(key, timezone.now())
        return key.user, key

    def authenticate_header(self, request: Request) -> str:
        """``WWW-Authenticate`` of a 401."""
        return f'{KEYWORD} realm="api"'
