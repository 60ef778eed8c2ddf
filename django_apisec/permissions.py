"""Permission building blocks, and the ``@public`` mark that exempts a view from default-deny."""

from __future__ import annotations

from typing import Any, TypeVar

from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

PUBLIC_ATTRIBUTE = "apisec_public"

V = TypeVar("V")


def public(view: V) -> V:
    """Mark a DRF view as reachable without authentication, visibly, for code review.

    Works on an ``APIView``/``ViewSet`` class and on the result of ``@api_view`` (put ``@public``
    above ``@api_view``). It sets ``permission_classes = [AllowAny]`` and ``apisec_public = True``;
    the views audit (``apisec.E501``) reports every anonymously reachable view without this mark.
    """
    target: Any = getattr(view, "cls", view)
    if not (isinstance(target, type) and issubclass(target, APIView)):
        raise TypeError(
            "@public marks a DRF APIView/ViewSet class or an @api_view function "
            "(place @public above @api_view)."
        )
    target.permission_classes = [AllowAny]
    setattr(target, PUBLIC_ATTRIBUTE, True)
    return view


def is_public(view_class: type[Any]) -> bool:
    """Whether a view class was marked with :func:`public`."""
    return bool(getattr(view_class, PUBLIC_ATTRIBUTE, False))
