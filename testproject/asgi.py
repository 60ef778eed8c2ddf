"""ASGI entry point: ``testproject.asgi:application``.

Served by gunicorn with uvicorn workers or by uvicorn alone (docs/deployment.rst): with the
server's proxy headers off (the client address is Django's decision, ``APISEC_TRUSTED_PROXIES``),
behind ``BodyLimitMiddleware`` (a body over ``APISEC_MAX_BODY_SIZE`` is refused before Django
reads it).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testproject.settings")

django_application = get_asgi_application()

from django_apisec.http.asgi import BodyLimitMiddleware  # noqa: E402 - after Django's setup

application = BodyLimitMiddleware(django_application)
