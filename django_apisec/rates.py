"""Rates such as ``"10/min"``: the one parser for DRF's throttle rates and every rate setting.

It sits below every capability: the settings layer (:mod:`django_apisec.conf`) validates rate
settings with it, and the limiter counts with the :class:`Rate` it returns.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

__all__ = ["PERIODS", "Rate", "parse_rate"]

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"\s*(\d+)\s*/\s*(\d*)\s*([smhd])[a-z]*\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Rate:
    """``limit`` requests per ``period`` seconds."""

    limit: int
    period: int


@functools.lru_cache(maxsize=256)
def _parse_rate_text(value: str) -> Rate:
    match = _RATE.fullmatch(value)
    if match is None:
        raise ImproperlyConfigured(f"Invalid throttle rate {value!r}: use e.g. '10/min'.")
    limit, multiplier, unit = int(match[1]), int(match[2] or 1), match[3].lower()
    if limit < 1 or multiplier < 1:
        raise ImproperlyConfigured(f"Invalid throttle rate {value!r}: both numbers must be > 0.")
    return Rate(limit, multiplier * PERIODS[unit])


def parse_rate(value: object) -> Rate | None:
    """A DRF rate (``"10/min"``, ``"100/hour"``, ``"5/15m"``) as a :class:`Rate`.

    ``None`` means no limit. Anything else that does not parse raises ``ImproperlyConfigured``
    (``apisec.E414`` reports it on every ``manage.py check``).
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise ImproperlyConfigured(f"Invalid throttle rate {value!r}: use e.g. '10/min'.")
    return _parse_rate_text(value)  # a pure function of the text: parsed once
