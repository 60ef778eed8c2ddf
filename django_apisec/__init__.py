"""django_apisec: secure-by-default Django REST Framework APIs and a deploy gate."""

from __future__ import annotations

__version__ = "0.1.0.dev0"
