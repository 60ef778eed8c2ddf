"""A user's list of sessions (token families), each of which they can end.

``GET /api/auth/sessions/`` lists the requester's live sessions, with when each started, when it
last refreshed (written at refresh, not per request) and a coarse client description; ``DELETE
/api/auth/sessions/{id}/`` ends one: its refresh token stops at once, and so do its access tokens
(the revocation marker of :func:`~django_apisec.jwt.revocation.revoke_family`). Another user's
session is a 404, like a missing one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from django_apisec.apikeys.views import RefuseApiKeysMixin
from django_apisec.jwt.authentication import JWTSessionAuthentication
from django_apisec.jwt.revocation import SESSION_ENDED, revoke_family
from django_apisec.models import TokenFamily

if TYPE_CHECKING:
    import uuid

    from django.db.models import QuerySet
    from rest_framework.request import Request


class SessionSerializer(serializers.ModelSerializer[TokenFamily]):
    """A session as its owner sees it; never a token id."""

    current = serializers.SerializerMethodField()

    class Meta:
        model = TokenFamily
        fields = ("id", "created_at", "last_used_at", "client", "current")
        read_only_fields = fields

    def get_current(self, family: TokenFamily) -> bool:
        """Whether this is the session of the request's access token."""
        return str(family.pk) == self.context.get("session_id")


def live_sessions(user: Any) -> QuerySet[TokenFamily]:
    """The user's sessions that can still refresh, newest first."""
    sessions: QuerySet[TokenFamily] = TokenFamily.objects.filter(
        user=user, revoked_at__isnull=True, idle_expires_at__gt=timezone.now()
    ).order_by("-created_at")
    return sessions


class _SessionsView(RefuseApiKeysMixin, APIView):
    authentication_classes = [JWTSessionAuthentication]
    permission_classes = [IsAuthenticated]
    serializer_class = SessionSerializer


class SessionListView(_SessionsView):
    """``GET`` -> ``[{"id", "created_at", "last_used_at", "client", "current"}]``."""

    def get(self, request: Request) -> Response:
        """The requester's live sessions."""
        context = {"session_id": getattr(request.auth, "session_id", None)}
        data = SessionSerializer(live_sessions(request.user), many=True, context=context).data
        return Response(data)


class SessionDetailView(_SessionsView):
    """``DELETE`` -> 204: the session ends now, its access tokens with it."""

    def delete(self, request: Request, session_id: uuid.UUID) -> Response:
        """End one of the requester's sessions; 404 for anyone else's."""
        family = live_sessions(request.user).filter(pk=session_id).first()
        if family is None:
            raise NotFound
        revoke_family(family.pk, reason=SESSION_ENDED, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
