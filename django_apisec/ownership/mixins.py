"""Object ownership: declare once on a view who owns its objects; every action is scoped.

``owner_field`` is a lookup path from the view's model to the user model: ``"owner"`` or, through
relations, ``"project__owner"``. The queryset of every action (list, retrieve, update, destroy,
custom detail actions, counts, filters, search, ordering) is filtered to the requester's objects,
so another user's object is a 404 identical to a missing one. Paths through many-valued relations
are filtered with ``EXISTS`` so that rows are never duplicated.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.contrib.auth import get_user_model
from django.core.exceptions import (
    FieldDoesNotExist,
    ImproperlyConfigured,
    ObjectDoesNotExist,
    ValidationError,
)
from django.db.models import Exists, Model, OuterRef, QuerySet
from django.http import Http404
from rest_framework import serializers

from django_apisec.observability import events
from django_apisec.ownership.serializers import StrictFieldsMixin
from django_apisec.signals import owner_bypass_used

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rest_framework.request import Request

__all__ = [
    "OwnedQuerysetMixin",
    "OwnerBypass",
    "OwnerPath",
    "StaffMayRead",
    "get_owned_object_or_404",
    "is_owned_by",
    "owned_by",
    "resolve_owner_path",
]

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class OwnerPath:
    """A resolved ``owner_field``: its segments and whether it crosses a many-valued relation."""

    model: type[Model]
    path: str
    segments: tuple[str, ...]
    multi_valued: bool

    @property
    def direct(self) -> bool:
        """Whether the owner is a field of the model itself (``"owner"``)."""
        return len(self.segments) == 1

    @property
    def head(self) -> str:
        """The first relation of the path, e.g. ``"project"`` in ``"project__owner"``."""
        return self.segments[0]

    @property
    def tail(self) -> str:
        """The rest of the path, relative to the model ``head`` points to."""
        return "__".join(self.segments[1:])


@functools.cache
def resolve_owner_path(model: type[Model], path: str) -> OwnerPath:
    """Validate ``path`` on ``model``: every segment a relation, the last one to the user model."""
    if not path:
        raise ImproperlyConfigured(f"owner_field is empty for {model.__name__}.")
    current: type[Model] = model
    multi_valued = False
    segments = tuple(path.split("__"))
    for segment in segments:
        try:
            field = current._meta.get_field(segment)
        except FieldDoesNotExist as exc:
            raise ImproperlyConfigured(
                f"owner_field {path!r}: {current.__name__} has no field {segment!r}."
            ) from exc
        if not field.is_relation or field.related_model is None:
            raise ImproperlyConfigured(
                f"owner_field {path!r}: {current.__name__}.{segment} is not a relation."
            )
        multi_valued = multi_valued or bool(field.many_to_many or field.one_to_many)
        current = field.related_model
    if current is not get_user_model():
        raise ImproperlyConfigured(
            f"owner_field {path!r} on {model.__name__} leads to {current.__name__}, "
            "not to the user model."
        )
    return OwnerPath(model, path, segments, multi_valued)


def owned_by(queryset: QuerySet[M], owner_field: str, user: Any) -> QuerySet[M]:
    """``queryset`` narrowed to the objects ``user`` owns; nothing for an anonymous user."""
    scoped: QuerySet[M]
    if user is None or not getattr(user, "is_authenticated", False):
        scoped = queryset.none()
        return scoped
    model: type[Model] = queryset.model
    owner = resolve_owner_path(model, owner_field)
    if owner.multi_valued:
        # A join through a to-many relation would repeat rows; EXISTS keeps one query, no dupes.
        matching = model._default_manager.filter(pk=OuterRef("pk"), **{owner_field: user})
        scoped = queryset.filter(Exists(matching))
    else:
        scoped = queryset.filter(**{owner_field: user})
    return scoped


def get_owned_object_or_404(queryset: QuerySet[M], owner_field: str, user: Any, **lookup: Any) -> M:
    """The object of ``queryset`` matching ``lookup`` that ``user`` owns, else ``Http404``.

    For plain ``APIView`` methods and ``@api_view`` functions, where ``OwnedQuerysetMixin`` does
    not reach: ``get_owned_object_or_404(Invoice.objects.all(), "customer__owner",
    request.user, pk=pk)``. Another user's object and a missing one raise the same ``Http404``
    (DRF answers both with the same 404), so ids cannot be probed; an invalid id (``pk="x"``) is
    a 404 too, never a 500. The views audit (apisec.E511) recognises it as scoped.
    """
    scoped = owned_by(queryset, owner_field, user)
    try:
        return scoped.get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404 from exc


def is_owned_by(obj: Model, owner_field: str, user: Any) -> bool:
    """Whether ``user`` owns ``obj`` through ``owner_field``."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    owner = resolve_owner_path(type(obj), owner_field)
    if owner.multi_valued:
        manager = type(obj)._default_manager
        return bool(manager.filter(pk=obj.pk, **{owner_field: user}).exists())
    target: Any = obj
    for segment in owner.segments:
        target = getattr(target, segment, None)
        if target is None:
            return False
    return bool(target.pk == user.pk)


class OwnerBypass:
    """A policy that lets some requests see objects they do not own (never by default).

    Subclasses implement ``applies()``. Every use sends ``owner_bypass_used`` and writes a
    security log record, so a bypass is never silent.
    """

    def applies(self, request: Request, view: Any) -> bool:  # pragma: no cover - abstract
        """Whether this request may skip owner scoping."""
        raise NotImplementedError


class StaffMayRead(OwnerBypass):
    """Staff users may read (safe methods only) every object; writes stay owner-scoped."""

    def applies(self, request: Request, view: Any) -> bool:
        """Staff, and a safe method."""
        return bool(request.method in ("GET", "HEAD", "OPTIONS") and request.user.is_staff)


# The viewset actions (and, for generic views, the handlers a method maps to) that write an object.
WRITE_ACTIONS = frozenset({"create", "update", "partial_update"})
WRITE_HANDLERS = {"POST": "create", "PUT": "update", "PATCH": "partial_update"}


class OwnedQuerysetMixin:
    """Scope a DRF generic view or viewset to the requester's objects.

    Set ``owner_field`` (``"owner"`` or a path such as ``"project__owner"``). Optional:
    ``owner_bypass`` (a sequence of :class:`OwnerBypass` classes, empty by default) and
    ``owned_relations`` (serializer field name -> owner path on the related model) for relations a
    client chooses that are not on the owner path itself.
    """

    owner_field: str = ""
    allow_owner_transfer: bool = False
    owner_bypass: Sequence[type[OwnerBypass]] = ()
    owned_relations: dict[str, str] = {}
    request: Request

    def get_queryset(self) -> QuerySet[Any]:
        """The view's queryset, filtered to what the requester owns."""
        queryset = cast("QuerySet[Any]", super().get_queryset())  # type: ignore[misc]
        if getattr(self, "swagger_fake_view", False):
            return queryset.none()  # type: ignore[no-any-return]
        policy = self._applicable_bypass()
        if policy is not None:
            return queryset
        return owned_by(queryset, self.owner_field, self.request.user)

    def _applicable_bypass(self) -> OwnerBypass | None:
        for policy_class in self.owner_bypass:
            policy = policy_class()
            if policy.applies(self.request, self):
                events.record(
                    events.OWNER_BYPASS_USED,
                    request=self.request,
                    user=self.request.user,
                    outcome=events.ALLOWED,
                    policy=type(policy).__name__,
                )
                owner_bypass_used.send(
                    sender=type(self),
                    request=self.request,
                    view=self,
                    policy=policy,
                    user=self.request.user,
                )
                return policy
        return None

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        """The serializer, its client-chosen relations narrowed to the requester's objects."""
        serializer = super().get_serializer(*args, **kwargs)  # type: ignore[misc]
        owner = self._owner_path()
        relations = dict(self.owned_relations)
        if not owner.direct:
            relations.setdefault(owner.head, owner.tail)
        child = getattr(serializer, "child", serializer)  # many=True wraps in a ListSerializer
        fields = child.fields
        for name, path in relations.items():
            field = fields.get(name)
            if field is None or field.read_only:
                continue
            relation = getattr(field, "child_relation", field)
            if getattr(relation, "queryset", None) is None:
                raise ImproperlyConfigured(
                    f"{type(self).__name__}: serializer field {name!r} is not a writable relation."
                )
            relation.queryset = owned_by(relation.queryset, path, self.request.user)
        return serializer

    def _owner_path(self) -> OwnerPath:
        queryset = getattr(self, "queryset", None)
        if queryset is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs a `queryset` attribute.")
        return resolve_owner_path(queryset.model, self.owner_field)

    def _reject_client_owner(self) -> None:
        owner = self._owner_path()
        data = self.request.data
        if not owner.direct or self.allow_owner_transfer or not hasattr(data, "keys"):
            return
        if owner.head not in data.keys():  # noqa: SIM118 - QueryDict is not a Mapping
            return
        serializer = self.get_serializer()
        field = serializer.fields.get(owner.head)
        if isinstance(serializer, StrictFieldsMixin) and (field is None or field.read_only):
            return  # the strict serializer lists it together with every other bad key
        raise serializers.ValidationError(
            {owner.head: ["The owner is set from the request and cannot be sent."]}
        )

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """After authentication and permissions: refuse a client-sent owner on create and update.

        A hook rather than ``create()``/``update()`` overrides: a router maps ``POST``/``PUT`` to
        any view that has those methods, so defining them here would give a read-only viewset
        write routes that crash.
        """
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if self._writes_an_object(request):
            self._reject_client_owner()

    def _writes_an_object(self, request: Request) -> bool:
        action = getattr(self, "action", None)
        if action is not None:  # a viewset
            return action in WRITE_ACTIONS
        handler = WRITE_HANDLERS.get(request.method or "")
        return handler is not None and callable(getattr(self, handler, None))

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        """Save with the requester as owner (a direct owner field is never taken from input)."""
        owner = self._owner_path()
        if owner.direct:
            serializer.save(**{owner.head: self.request.user})
        else:
            serializer.save()
