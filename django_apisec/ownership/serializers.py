"""A strict serializer mixin: unknown keys and keys of read-only fields are a 400, not ignored.

DRF silently drops both, which hides mass-assignment attempts (OWASP API3:2023) and client bugs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

__all__ = ["StrictFieldsMixin", "unexpected_keys"]

UNKNOWN = "Unknown field."
READ_ONLY = "This field is read-only."


def unexpected_keys(serializer: serializers.Serializer[Any], data: Any) -> dict[str, Any]:
    """Errors for the keys of ``data`` that ``serializer`` does not accept, nested included."""
    if not isinstance(data, Mapping) and not hasattr(data, "keys"):
        return {}
    fields = serializer.fields
    errors: dict[str, Any] = {}
    for key in data.keys():  # noqa: SIM118 - QueryDict is not a Mapping
        field = fields.get(key)
        if field is None:
            errors[key] = [UNKNOWN]
        elif field.read_only or isinstance(field, serializers.HiddenField):
            errors[key] = [READ_ONLY]
        elif isinstance(field, serializers.ListSerializer) and isinstance(data[key], list):
            nested = {
                str(index): found
                for index, item in enumerate(data[key])
                if (found := unexpected_keys(field.child, item))  # type: ignore[arg-type]
            }
            if nested:
                errors[key] = nested
        elif isinstance(field, serializers.Serializer) and (
            found := unexpected_keys(field, data[key])
        ):
            errors[key] = found
    return errors


class StrictFieldsMixin:
    """Reject unknown keys and keys of read-only fields with a 400 listing each of them.

    Put it first in the bases: ``class NoteSerializer(StrictFieldsMixin, ModelSerializer)``.
    Works with nested serializers, ``many=True``, JSON and form data.
    """

    def to_internal_value(self, data: Any) -> Any:
        """Check the keys, then validate as usual."""
        errors = unexpected_keys(self, data)  # type: ignore[arg-type]
        if errors:
            raise serializers.ValidationError(errors)
        return super().to_internal_value(data)  # type: ignore[misc]
