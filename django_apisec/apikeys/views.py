"""Key management for the owner (create, list, revoke) and the mixin that keeps keys out.

A key never manages keys nor reaches the session endpoints (login, refresh, logout, logout-all,
password change): :class:`RefuseApiKeysMixin` answers any request that carries one with 403
``api_key_not_allowed`` before authentication runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework import mixins, viewsets
from rest_framework.permissions import IsAuthenticated

from django_apisec.apikeys.authentication import refuse_api_key
from django_apisec.apikeys.keys import revoke_key
from django_apisec.apikeys.serializers import ApiKeyCreateSerializer, ApiKeySerializer
from django_apisec.models import APIKey
from django_apisec.ownership.mixins import OwnedQuerysetMixin
from django_apisec.request.stepup import RecentAuthentication

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rest_framework.request import Request
    from rest_framework.serializers import BaseSerializer

__all__ = [
    "ApiKeyViewSet",
    "RefuseApiKeysMixin",
    "refuses_api_keys",
]

#: Marks a view class that no API key may reach (read by the views audit).
REFUSES_ATTRIBUTE = "apisec_refuses_api_keys"


class RefuseApiKeysMixin:
    """Refuse every request that carries an API key (header or query string): 403."""

    apisec_refuses_api_keys = True

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """Refuse a key before authentication, content negotiation aside."""
        refuse_api_key(request)
        super().initial(request, *args, **kwargs)  # type: ignore[misc]


def refuses_api_keys(view_class: type[Any]) -> bool:
    """Whether a view class refuses API keys (:class:`RefuseApiKeysMixin`)."""
    return bool(getattr(view_class, REFUSES_ATTRIBUTE, False))


class ApiKeyViewSet(  # type: ignore[misc]  # OwnedQuerysetMixin types request as DRF's
    RefuseApiKeysMixin,
    OwnedQuerysetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """The requester's API keys: ``POST`` creates (the key is shown once), ``DELETE`` revokes.

    Another user's key is a 404, like a missing one. A revoked key stays listed (``revoked``).
    Creating and revoking need a recent step-up (``RecentAuthentication``): a stolen access
    token cannot mint itself a long-lived key.
    """

    queryset = APIKey.objects.select_related("user").order_by("-created_at")
    owner_field = "user"
    permission_classes = [IsAuthenticated]
    #: Actions that change the requester's keys: they need a recent ``auth_time``.
    step_up_actions = frozenset({"create", "destroy"})

    def get_permissions(self) -> Sequence[Any]:
        """Signed in; for a change, signed in recently (403 ``reauthentication_required``)."""
        permissions = list(super().get_permissions())
        if self.action in self.step_up_actions:
            permissions.append(RecentAuthentication())
        return permissions

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        """The create serializer (with ``key``) for ``POST``, else the listing one."""
        return ApiKeyCreateSerializer if self.action == "create" else ApiKeySerializer

    def perform_destroy(self, instance: APIKey) -> None:
        """Revoke rather than delete: the row documents what the key was."""
        revoke_key(instance, by="owner", request=self.request)
