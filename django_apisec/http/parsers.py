"""A DRF ``JSONParser`` with limits: nesting depth, number of values, numbers and NUL bytes.

DRF's own parser hands ``json.load`` whatever arrives: ``[[[[...]]]]`` ten thousand deep raises
``RecursionError`` (a 500), a million tiny values cost the serializer seconds, ``1e999`` becomes
``inf`` (``int(inf)`` raises ``OverflowError`` in a primary-key lookup: another 500), and
``"\\u0000"`` is refused by PostgreSQL in every text column. Each of these is a 400 here, with a
stable ``code``.
"""

from __future__ import annotations

import codecs
import json
import math
from typing import TYPE_CHECKING, Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.settings import api_settings

from django_apisec.conf import apisec_settings

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["JSONLimitError", "JSONParser", "check_structure"]

# JSON numbers outside a signed 64-bit integer fit no database column and no JavaScript number.
MAX_INTEGER = 2**63 - 1
MIN_INTEGER = -(2**63)


class JSONLimitError(ParseError):
    """400: the JSON document is valid but breaks a limit; ``code`` says which."""


def _parse_int(text: str) -> int:
    value = int(text)
    if not MIN_INTEGER <= value <= MAX_INTEGER:
        raise JSONLimitError("Number out of range.", "number_out_of_range")
    return value


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONLimitError("Number out of range.", "number_out_of_range")
    return value


def _parse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON (RFC 8259); DRF refuses them too with STRICT_JSON.
    raise ValueError(f"{name} is not valid JSON")


def check_structure(document: Any, *, max_depth: int, max_items: int) -> None:
    """Raise :class:`JSONLimitError` if ``document`` is too deep, too big, or holds a NUL.

    Walks the parsed document without recursion, so a document that parsed is never too deep
    to check. Depth counts containers: ``1`` and ``"a"`` are 0 deep, ``[]`` is 1, ``[[]]`` is 2.
    """
    items = 0
    stack: list[tuple[Any, int]] = [(document, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise JSONLimitError("Strings may not contain NUL characters.", "null_character")
            continue
        if isinstance(value, dict):
            children: list[Any] = [*value.keys(), *value.values()]
            count = len(value)
        elif isinstance(value, list):
            children = value
            count = len(value)
        else:
            continue
        if depth + 1 > max_depth:
            raise JSONLimitError(f"JSON nested deeper than {max_depth} levels.", "json_too_deep")
        items += count
        if items > max_items:
            raise JSONLimitError(f"JSON has more than {max_items} values.", "json_too_large")
        stack.extend((child, depth + 1) for child in children)


class JSONParser(parsers.JSONParser):
    """DRF's ``JSONParser`` with the limits of ``APISEC_JSON_MAX_DEPTH`` / ``_MAX_ITEMS``.

    Malformed JSON is a 400 ``parse_error`` (as in DRF); a limit broken is a 400 whose ``code``
    is ``json_too_deep``, ``json_too_large``, ``number_out_of_range`` or ``null_character``.
    The body's size is bounded before parsing by ``APISEC_MAX_BODY_SIZE`` (the API middleware).
    """

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        """Parse ``stream`` as JSON and check its structure."""
        context = parser_context or {}
        encoding = context.get("encoding", "utf-8")
        try:
            text = codecs.getreader(encoding)(stream).read()
            document = json.loads(
                text,
                parse_int=_parse_int,
                parse_float=_parse_float,
                parse_constant=_parse_constant if api_settings.STRICT_JSON else None,
            )
        except JSONLimitError:
            raise
        except RecursionError as exc:
            # The C decoder recurses once per level: far past any sane limit, so "too deep".
            raise JSONLimitError(
                f"JSON nested deeper than {apisec_settings.JSON_MAX_DEPTH} levels.",
                "json_too_deep",
            ) from exc
        except ValueError as exc:
            # The decoder's message (line/column) is enough for a client to find its mistake and
            # says nothing about the server.
            raise ParseError(f"JSON parse error - {exc}") from exc
        check_structure(
            document,
            max_depth=apisec_settings.JSON_MAX_DEPTH,
            max_items=apisec_settings.JSON_MAX_ITEMS,
        )
        return document
