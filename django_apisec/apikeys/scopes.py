"""Scopes: what a view asks of an API key, per HTTP method.

A view (or viewset) declares ``required_scopes``, a mapping of HTTP method to scope::

    class NoteViewSet(OwnedQuerysetMixin, viewsets.ModelViewSet):
        required_scopes = scopes_for("notes")   # GET/HEAD/OPTIONS notes:read, others notes:write

    class MeView(APIView):
        required_scopes = {"GET": ANY_KEY}      # any valid key

Enforcement is default-deny and applies to key-authenticated requests only (a JWT session is
not limited by scopes): a method the mapping does not name, or a view with no mapping, is a 403
``api_key_scope`` for every key. The views audit reports key-accepting views without a mapping
(``apisec.W560``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "ANY_KEY",
    "declared_scopes",
    "required_scope",
    "scope_allows",
    "scopes_for",
]

#: The scope that any valid key satisfies, e.g. ``{"GET": ANY_KEY}`` on a "who am I" view.
ANY_KEY = "*"
READ_METHODS = ("GET", "HEAD", "OPTIONS")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
ATTRIBUTE = "required_scopes"


def scopes_for(resource: str) -> dict[str, str]:
    """``<resource>:read`` for the safe methods and ``<resource>:write`` for the others."""
    read = dict.fromkeys(READ_METHODS, f"{resource}:read")
    return read | dict.fromkeys(WRITE_METHODS, f"{resource}:write")


def declared_scopes(view: Any) -> Mapping[str, str] | None:
    """The view's ``required_scopes`` mapping, or ``None`` when it declares none."""
    declared = getattr(view, ATTRIBUTE, None)
    return declared if isinstance(declared, Mapping) else None


def required_scope(view: Any, method: str) -> str | None:
    """The scope a key needs for ``method`` on ``view``; ``None``: no key may make the request."""
    declared = declared_scopes(view)
    scope = declared.get(method.upper()) if declared is not None else None
    return scope if isinstance(scope, str) and scope else None


def scope_allows(scopes: Any, view: Any, method: str) -> bool:
    """Whether a key with ``scopes`` may make a ``method`` request to ``view``."""
    needed = required_scope(view, method)
    if needed is None:
        return False
    return needed == ANY_KEY or (isinstance(scopes, list) and needed in scopes)
