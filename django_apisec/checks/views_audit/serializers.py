"""apisec.E503, W504, E508, E509: what the serializers of DRF views expose and accept."""

from __future__ import annotations

import re
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from rest_framework import serializers

from django_apisec.checks.registry import emit, error, warning
from django_apisec.checks.views_audit.access import owner_fields
from django_apisec.checks.views_audit.routes import ViewRoute, drf_routes, first_per_view, names_of
from django_apisec.checks.views_audit.suppressions import audit_check

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.core.checks import CheckMessage

E503 = error(
    "apisec.E503",
    "{view} at {route} uses {serializers} with Meta.fields = '__all__': every model column, "
    "including ones added later, is exposed and writable.",
    "List the fields the client may see in Meta.fields, and the ones it may not change in "
    "Meta.read_only_fields.",
)

W504 = warning(
    "apisec.W504",
    "{view} at {route} uses {serializers} with Meta.exclude: every column not on the denylist, "
    "including ones added later, is exposed.",
    "Replace Meta.exclude with an explicit allowlist in Meta.fields.",
)

E508 = error(
    "apisec.E508",
    "{view} at {route} serializes secret-looking fields in its responses ({fields}).",
    "Remove them from Meta.fields, or make them write-only: "
    "extra_kwargs = {{'<field>': {{'write_only': True}}}} or a declared field with "
    "write_only=True.",
)

E509 = error(
    "apisec.E509",
    "{view} at {route} lets clients write the owner of an object ({fields}): a client can create "
    "or move objects into another user's account.",
    "Add the owner field to Meta.read_only_fields (or declare it with read_only=True or as a "
    "HiddenField(default=CurrentUserDefault())) and set it from request.user in the view.",
)

# In serializer fields "key" alone is too common (dictionary keys, settings); only named keys count.
FIELD_SECRET_WORDS = frozenset({"password", "token", "secret", "hash", "apikey", "privatekey"})
FIELD_SECRET_PAIRS = frozenset({("api", "key"), ("private", "key")})


def _nested_serializer_class(
    declared: Any, writable_only: bool
) -> type[serializers.BaseSerializer[Any]] | None:
    if writable_only and getattr(declared, "read_only", False):
        return None
    if isinstance(declared, serializers.ListSerializer):
        declared = declared.child
    if isinstance(declared, serializers.BaseSerializer):
        return type(declared)
    return None


def serializer_classes(
    view_class: type[Any], *, writable_only: bool = False
) -> list[type[serializers.BaseSerializer[Any]]]:
    """The view's ``serializer_class`` and the serializers nested in it, each once.

    With ``writable_only``, nested serializers declared ``read_only=True`` (and what they nest)
    are left out: clients cannot write through them. ``get_serializer_class()`` is not called: it
    often reads ``self.request`` or ``self.action``.
    """
    found: list[type[serializers.BaseSerializer[Any]]] = []
    pending = [getattr(view_class, "serializer_class", None)]
    while pending:
        candidate = pending.pop()
        if (
            not isinstance(candidate, type)
            or not issubclass(candidate, serializers.BaseSerializer)
            or candidate in found
        ):
            continue
        found.append(candidate)
        declared = getattr(candidate, "_declared_fields", None)
        if isinstance(declared, dict):
            pending.extend(_nested_serializer_class(f, writable_only) for f in declared.values())
    return found


def _meta(serializer_class: type[Any]) -> Any:
    return getattr(serializer_class, "Meta", None)


def _model_serializers(view_class: type[Any], *, writable_only: bool = False) -> list[type[Any]]:
    return [
        s
        for s in serializer_classes(view_class, writable_only=writable_only)
        if issubclass(s, serializers.ModelSerializer) and _meta(s) is not None
    ]


def _serializer_label(serializer_class: type[Any]) -> str:
    return f"{serializer_class.__module__}.{serializer_class.__qualname__}"


def _serializers_where(
    view_route: ViewRoute, template: CheckMessage, predicate: Callable[[Any], bool]
) -> CheckMessage | None:
    matching = [
        _serializer_label(s)
        for s in _model_serializers(view_route.view_class)
        if predicate(_meta(s))
    ]
    if not matching:
        return None
    return emit(
        template,
        obj=view_route.view_class,
        view=view_route.label,
        route=view_route.route,
        serializers=", ".join(matching),
    )


def _all_fields(view_route: ViewRoute) -> CheckMessage | None:
    return _serializers_where(
        view_route, E503, lambda meta: getattr(meta, "fields", None) == serializers.ALL_FIELDS
    )


def _excluded_fields(view_route: ViewRoute) -> CheckMessage | None:
    return _serializers_where(
        view_route, W504, lambda meta: getattr(meta, "exclude", None) is not None
    )


@audit_check
def check_serializer_field_lists(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E503 (``fields = '__all__'``), apisec.W504 (``exclude``) on model serializers."""
    routes = drf_routes()
    return first_per_view(routes, _all_fields) + first_per_view(routes, _excluded_fields)


def _model_field_names(model: Any) -> list[str]:
    """What ``fields = '__all__'`` expands to: the primary key and every serialized field."""
    meta = model._meta
    names = [meta.pk.name]
    names.extend(f.name for f in (*meta.fields, *meta.many_to_many) if f.serialize)
    return names


def serialized_field_names(serializer_class: type[Any]) -> list[str]:
    """The field names a model serializer has, from ``Meta`` and declared fields only."""
    meta = _meta(serializer_class)
    declared = list(getattr(serializer_class, "_declared_fields", {}))
    fields = getattr(meta, "fields", None)
    exclude = getattr(meta, "exclude", None)
    if fields == serializers.ALL_FIELDS or (fields is None and exclude is not None):
        model = getattr(meta, "model", None)
        names = _model_field_names(model) if model is not None else []
        excluded = set(names_of(exclude))
        return [n for n in dict.fromkeys([*names, *declared]) if n not in excluded]
    return list(dict.fromkeys([*names_of(fields), *declared]))


def looks_secret(
    name: str,
    words: frozenset[str] = FIELD_SECRET_WORDS,
    pairs: frozenset[tuple[str, str]] = FIELD_SECRET_PAIRS,
) -> bool:
    """Whether a field name or lookup path (``user__password``) names a secret.

    Names are split into ``_``-separated segments and matched segment by segment, so
    ``password_hash`` and ``user__password`` match but ``passwordless`` and ``tokens`` do not.
    """
    segments = [s for s in re.split(r"_+", name.lower()) if s]
    return any(s in words for s in segments) or any(pair in pairs for pair in pairwise(segments))


def _extra_kwarg(meta: Any, name: str, key: str) -> bool:
    extra = getattr(meta, "extra_kwargs", None)
    options = extra.get(name) if isinstance(extra, dict) else None
    return bool(options.get(key)) if isinstance(options, dict) else False


def _secret_fields(serializer_class: type[Any]) -> list[str]:
    meta = _meta(serializer_class)
    declared = serializer_class._declared_fields
    secrets = []
    for name in serialized_field_names(serializer_class):
        field_ = declared.get(name)
        if field_ is not None:
            source = field_.source if isinstance(field_.source, str) else ""
            secret = looks_secret(name) or looks_secret(source.replace(".", "__"))
            write_only = bool(field_.write_only)
        else:
            secret = looks_secret(name)
            write_only = _extra_kwarg(meta, name, "write_only")
        if secret and not write_only:
            secrets.append(f"{serializer_class.__qualname__}.{name}")
    return secrets


def _serialized_secrets(view_route: ViewRoute) -> CheckMessage | None:
    found = [f for s in _model_serializers(view_route.view_class) for f in _secret_fields(s)]
    if not found:
        return None
    return emit(
        E508,
        obj=view_route.view_class,
        view=view_route.label,
        route=view_route.route,
        fields=", ".join(found),
    )


@audit_check
def check_serialized_secrets(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E508: a model serializer must not return secret-looking fields."""
    return first_per_view(drf_routes(), _serialized_secrets)


def _writable_owners(serializer_class: type[Any]) -> list[str]:
    meta = _meta(serializer_class)
    model = getattr(meta, "model", None)
    if model is None:
        return []
    declared = serializer_class._declared_fields
    owners = set(owner_fields(model))
    read_only = set(names_of(getattr(meta, "read_only_fields", None)))
    writable = []
    for name in serialized_field_names(serializer_class):
        field_ = declared.get(name)
        if field_ is not None:
            # A declared field writes to its source: ``user = PrimaryKeyRelatedField(source=
            # "owner", ...)`` sets the owner under another name.
            target = field_.source if isinstance(field_.source, str) else name
            is_writable = (
                target in owners
                and not field_.read_only
                and not isinstance(field_, serializers.HiddenField)
            )
        else:
            is_writable = (
                name in owners
                and name not in read_only
                and not _extra_kwarg(meta, name, "read_only")
                and model._meta.get_field(name).editable
            )
        if is_writable:
            writable.append(f"{serializer_class.__qualname__}.{name}")
    return writable


def _owner_writable(view_route: ViewRoute) -> CheckMessage | None:
    view_class = view_route.view_class
    found = [
        f for s in _model_serializers(view_class, writable_only=True) for f in _writable_owners(s)
    ]
    if not found:
        return None
    return emit(
        E509,
        obj=view_route.view_class,
        view=view_route.label,
        route=view_route.route,
        fields=", ".join(found),
    )


@audit_check
def check_writable_owner(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E509: a model serializer must not let clients set the owning user."""
    return first_per_view(drf_routes(), _owner_writable)
