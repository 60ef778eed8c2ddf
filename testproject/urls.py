"""URLs of the reference deployment.

The admin login is a plain Django view: django-ratelimit limits its POSTs per client (the same
bucket as the API's throttles, ``django_apisec.request.addresses.ratelimit_key``) at the
``login_ip`` rate of ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``, answering 429 with
``Retry-After`` (not django-ratelimit's bare 403), and 503 when the cache is down (never a 500). The
account lockout applies as well: the admin calls ``authenticate()``.
"""

import logging

from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path
from django_ratelimit.core import get_usage

from django_apisec.abuse.limiter import FAILURE_RETRY_AFTER
from django_apisec.conf import apisec_settings

logger = logging.getLogger("django_apisec.abuse.limiter")

ADMIN_LOGIN_LIMIT = {
    "group": "login_ip",
    "key": "django_apisec.request.addresses.ratelimit_key",
    "rate": "django_apisec.abuse.throttling.ratelimit_rate",
    "method": "POST",
}


def admin_login(request, extra_context=None):
    """The admin's login view behind django-ratelimit."""
    try:
        usage = get_usage(request, increment=True, **ADMIN_LOGIN_LIMIT)
    except Exception:
        logger.exception("Rate-limit cache unreachable on the admin login")
        if apisec_settings.FAILURE_POLICY == "closed":
            return plain_response("Service temporarily unavailable.", 503, FAILURE_RETRY_AFTER)
        usage = None
    if usage is not None and usage["should_limit"]:
        wait = max(1, usage["time_left"])
        return plain_response("Too many login attempts, try again later.", 429, wait)
    return admin.site.login(request, extra_context)


def plain_response(text, status, retry_after):
    response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(retry_after)
    return response


urlpatterns = [
    path("api/", include("testproject.api.urls")),
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
]
