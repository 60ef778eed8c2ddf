"""Permission building blocks, and the ``@public`` mark that exempts a view from default-deny."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, TypeVar, cast

from rest_framework.permissions import AllowAny, BasePermission, BasePermissionMetaclass
from rest_framework.views import APIView

from django_apisec.ownership.mixins import is_owned_by

if TYPE_CHECKING:
    from rest_framework.request import Request

__all__ = ["IsOwner", "IsOwnerOrReadOnly", "OwnershipPermission", "ReadOnly", "is_public", "public"]

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


SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class _OwnershipPermissionMetaclass(BasePermissionMetaclass):
    """``~IsOwner`` keeps the precondition (authenticated) and negates only the object test.

    DRF's ``~`` negates ``has_permission`` too, so ``~IsOwner`` would deny every authenticated
    user before any object is seen, and admit anonymous users at the view level.
    """

    def __invert__(cls) -> type[BasePermission]:  # type: ignore[override]  # noqa: N805
        return _inverse(cls)


@functools.cache
def _inverse(operand: type[BasePermission]) -> type[BasePermission]:
    inverse = _OwnershipPermissionMetaclass(
        f"Not{operand.__name__}", (_InversePermission,), {"operand": operand}
    )
    return cast("type[BasePermission]", inverse)


class OwnershipPermission(BasePermission, metaclass=_OwnershipPermissionMetaclass):
    """Base of the ownership permissions: the owner path comes from the view's ``owner_field``."""

    def owner_field(self, view: Any) -> str:
        """The view's ``owner_field``, ``"owner"`` when it declares none."""
        return getattr(view, "owner_field", "") or "owner"

    def owns(self, request: Request, view: Any, obj: Any) -> bool:
        """Whether the requester owns ``obj``."""
        return is_owned_by(obj, self.owner_field(view), request.user)


class _InversePermission(OwnershipPermission):
    operand: type[BasePermission]

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(self.operand().has_permission(request, view))

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        return not self.operand().has_object_permission(request, view, obj)


class IsOwner(OwnershipPermission):
    """Authenticated, and (for an object) its owner. ``~IsOwner``: authenticated, not the owner."""

    def has_permission(self, request: Request, view: Any) -> bool:
        """Only authenticated users can own anything."""
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        """The requester owns ``obj``."""
        return self.owns(request, view, obj)


class IsOwnerOrReadOnly(OwnershipPermission):
    """Anyone may read; only the owner may change (writes need authentication)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        """A safe method, or an authenticated user."""
        return request.method in SAFE_METHODS or bool(
            request.user and request.user.is_authenticated
        )

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        """A safe method, or the owner."""
        return request.method in SAFE_METHODS or self.owns(request, view, obj)


class ReadOnly(BasePermission):
    """Safe methods only; compose it: ``IsOwner | (IsAdminUser & ReadOnly)``."""

    def has_permission(self, request: Request, view: Any) -> bool:
        """A safe method."""
        return request.method in SAFE_METHODS

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        """A safe method."""
        return request.method in SAFE_METHODS
