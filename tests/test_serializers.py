"""StrictFieldsMixin: mass-assignment attempts are a 400 listing every offending key."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from rest_framework import serializers

from django_apisec.ownership.serializers import READ_ONLY, UNKNOWN, StrictFieldsMixin


class Address(StrictFieldsMixin, serializers.Serializer[dict[str, str]]):
    city = serializers.CharField()


class LooseAddress(serializers.Serializer[dict[str, str]]):
    city = serializers.CharField()


class Person(StrictFieldsMixin, serializers.Serializer[dict[str, object]]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField()
    is_staff = serializers.HiddenField(default=False)
    address = LooseAddress(required=False)
    previous = Address(many=True, required=False)


def errors_of(data: object, **kwargs: object) -> object:
    serializer = Person(data=data, **kwargs)  # type: ignore[arg-type]
    assert not serializer.is_valid()
    return serializer.errors


def test_valid_input_passes() -> None:
    serializer = Person(data={"name": "a", "address": {"city": "x"}, "previous": [{"city": "y"}]})
    assert serializer.is_valid(), serializer.errors


def test_unknown_read_only_and_hidden_keys_are_rejected_together() -> None:
    errors = errors_of({"name": "a", "id": 3, "is_staff": True, "role": "admin"})
    assert errors == {"id": [READ_ONLY], "is_staff": [READ_ONLY], "role": [UNKNOWN]}


def test_nested_and_list_keys_are_checked() -> None:
    errors = errors_of(
        {"name": "a", "address": {"city": "x", "owner": 1}, "previous": [{"city": "y"}, {"z": 1}]}
    )
    assert errors == {"address": {"owner": [UNKNOWN]}, "previous": {"1": {"z": [UNKNOWN]}}}


def test_many_true_checks_every_item() -> None:
    serializer = Person(data=[{"name": "a"}, {"name": "b", "id": 1}], many=True)
    assert not serializer.is_valid()
    errors = serializer.errors
    # DRF 3.16 answers a list, later versions a dict keyed by index.
    by_index = dict(enumerate(errors)) if isinstance(errors, list) else dict(errors)
    assert {i: e for i, e in by_index.items() if e} == {1: {"id": [READ_ONLY]}}


def test_form_data_is_checked() -> None:
    data = QueryDict("name=a&is_superuser=1")
    assert errors_of(data) == {"is_superuser": [UNKNOWN]}


@pytest.mark.parametrize("data", ["text", 3, None, ["list"]])
def test_non_mapping_input_gets_drfs_own_error(data: object) -> None:
    serializer = Person(data=data)  # type: ignore[arg-type]
    assert not serializer.is_valid()
