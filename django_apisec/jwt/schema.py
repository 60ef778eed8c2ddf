"""The OpenAPI description of :class:`~django_apisec.jwt.authentication.JWTSessionAuthentication`.

drf-spectacular is optional: without it this module defines nothing. With it,
``JWTSessionScheme`` describes the authentication as simplejwt's bearer scheme; drf-spectacular
registers an extension when its class is created, so :mod:`django_apisec.jwt.views` imports this
module.
"""

from __future__ import annotations

from django_apisec.dotted_paths import SESSION_AUTHENTICATION

try:
    from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
except ImportError:  # pragma: no cover - drf-spectacular is optional
    pass
else:

    class JWTSessionScheme(SimpleJWTScheme):  # type: ignore[no-untyped-call]
        """OpenAPI: ``JWTSessionAuthentication`` is simplejwt's bearer scheme."""

        target_class = SESSION_AUTHENTICATION
