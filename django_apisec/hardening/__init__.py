"""Hardened settings: ``harden()``, the development and production profiles, the middleware
stack.

``from django_apisec.hardening import harden`` is the public import path; it is safe at the
end of ``settings.py`` (nothing here imports DRF or a model).
"""

from __future__ import annotations

from django_apisec.hardening.apply import harden

__all__ = ["harden"]
