"""Property tests (hypothesis) for the JSON limits and the request id validator."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from django.test import RequestFactory
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ParseError

from django_apisec.conf import DEFAULT_JSON_MAX_DEPTH, DEFAULT_JSON_MAX_ITEMS
from django_apisec.http.parsers import MAX_INTEGER, MIN_INTEGER, JSONParser
from django_apisec.request.request_id import is_valid_request_id, request_id

UUID_HEX = re.compile(r"[0-9a-f]{32}")

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
documents = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children),
    max_leaves=30,
)


def parse(raw: bytes) -> Any:
    return JSONParser().parse(io.BytesIO(raw), "application/json", {})


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    return 0


def items(value: Any) -> int:
    if isinstance(value, list):
        return len(value) + sum(map(items, value))
    if isinstance(value, dict):
        return len(value) + sum(map(items, value.values()))
    return 0


def acceptable(value: Any) -> bool:
    """Whether the parser must accept ``value`` (every limit respected)."""
    if isinstance(value, str):
        return "\x00" not in value
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return MIN_INTEGER <= value <= MAX_INTEGER
    if isinstance(value, float):
        return value == value and abs(value) != float("inf")  # noqa: PLR0124 - NaN test
    if isinstance(value, list):
        return all(map(acceptable, value))
    return all(acceptable(k) and acceptable(v) for k, v in value.items())


@settings(max_examples=300, deadline=None)
@given(documents)
def test_parser_accepts_exactly_what_the_limits_allow(document: Any) -> None:
    raw = json.dumps(document, allow_nan=True).encode()
    within = (
        acceptable(document)
        and depth(document) <= DEFAULT_JSON_MAX_DEPTH
        and items(document) <= DEFAULT_JSON_MAX_ITEMS
    )
    try:
        parsed = parse(raw)
    except ParseError:
        assert not within
    else:
        assert within
        assert parsed == document


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_parse_or_are_a_400(raw: bytes) -> None:
    # Any exception but DRF's 400 ParseError (RecursionError, OverflowError...) fails the test.
    try:
        parse(raw)
    except ParseError as exc:
        status = exc.status_code
    else:
        status = 200
    assert status in {200, 400}


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=DEFAULT_JSON_MAX_DEPTH + 1, max_value=50_000))
def test_any_excess_depth_is_refused(levels: int) -> None:
    with pytest.raises(ParseError) as info:
        parse(b"[" * levels + b"]" * levels)
    assert info.value.get_codes() == "json_too_deep"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_request_id_is_the_header_exactly_when_valid(header: str) -> None:
    request = RequestFactory().get("/", HTTP_X_REQUEST_ID=header)
    rid = request_id(request)
    assert is_valid_request_id(rid)
    if re.fullmatch(r"[A-Za-z0-9._-]{1,64}", header):
        assert rid == header
    else:
        assert UUID_HEX.fullmatch(rid)
