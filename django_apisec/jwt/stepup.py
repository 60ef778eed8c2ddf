"""Step-up re-authentication for the JWT views: see :mod:`django_apisec.request.stepup`.

The permission lives in the request layer so that lower layers (API key management) can require
it too; this module keeps the path the JWT views and projects import.
"""

from __future__ import annotations

from django_apisec.request.stepup import (
    REAUTHENTICATION_REQUIRED,
    RecentAuthentication,
    requires_recent_auth,
)

__all__ = ["REAUTHENTICATION_REQUIRED", "RecentAuthentication", "requires_recent_auth"]
