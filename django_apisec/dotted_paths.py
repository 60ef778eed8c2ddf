"""Every dotted path django_apisec writes into settings or compares a setting with, spelled once.

:func:`~django_apisec.hardening.harden` writes these into ``MIDDLEWARE``, ``REST_FRAMEWORK``,
``AUTHENTICATION_BACKENDS`` and the default ``LOGGING``; the ``apisec.*`` checks compare the
project's settings (and the classes they load) with them; the documentation shows them. A module
that moves changes one line here, and ``tests/test_dotted_paths.py`` fails until it does.

django_apisec's own objects are named by their defining module, as Django's and DRF's are in
settings (``"django.contrib.auth.backends.ModelBackend"``): that is the ``module.QualName`` the
checks read off a loaded class, so a setting, ``manage.py apisec_settings`` and a check message
spell an object the same way. In Python code, import the names from their capability package
instead (``from django_apisec.abuse import LoginIPRateThrottle``, docs/api.rst).

This module imports nothing: ``settings.py`` reaches it through ``harden()`` before Django is set
up.
"""

from __future__ import annotations

# --- django_apisec: middleware (MIDDLEWARE) ----------------------------------------------------
API_SECURITY_MIDDLEWARE = "django_apisec.http.middleware.ApiSecurityMiddleware"
CSP_BACKPORT_MIDDLEWARE = "django_apisec.http.csp.ContentSecurityPolicyMiddleware"
TRUSTED_DEVICE_MIDDLEWARE = "django_apisec.abuse.devices.TrustedDeviceMiddleware"

# --- django_apisec: REST_FRAMEWORK --------------------------------------------------------------
SESSION_AUTHENTICATION = "django_apisec.jwt.authentication.JWTSessionAuthentication"
ANON_RATE_THROTTLE = "django_apisec.abuse.throttling.AnonRateThrottle"
USER_RATE_THROTTLE = "django_apisec.abuse.throttling.UserRateThrottle"
SCOPED_RATE_THROTTLE = "django_apisec.abuse.throttling.ScopedRateThrottle"
JSON_PARSER = "django_apisec.http.parsers.JSONParser"
BOUNDED_PAGINATION = "django_apisec.http.pagination.BoundedPageNumberPagination"
EXCEPTION_HANDLER = "django_apisec.http.exception_handler.exception_handler"

# --- django_apisec: other settings ---------------------------------------------------------------
LOCKOUT_BACKEND = "django_apisec.abuse.backends.LockoutModelBackend"  # AUTHENTICATION_BACKENDS
ARGON2ID_HASHER = "django_apisec.abuse.hashing.Argon2idPasswordHasher"  # PASSWORD_HASHERS, first
CSRF_FAILURE_VIEW = "django_apisec.http.errors.csrf_failure"  # CSRF_FAILURE_VIEW
AUTH_URLCONF = "django_apisec.urls"  # include() it under the refresh cookie's path

# --- django_apisec: import paths check hints name ----------------------------------------------
PUBLIC_DECORATOR = "django_apisec.ownership.public"  # @public: a view anonymous clients may use
OWNED_QUERYSET_MIXIN = "django_apisec.ownership.OwnedQuerysetMixin"  # scopes a view's objects
OWNED_BY = "django_apisec.ownership.owned_by"  # scopes a queryset in a plain view
GET_OWNED_OBJECT_OR_404 = "django_apisec.ownership.get_owned_object_or_404"  # scoped lookup

# --- django_apisec: LOGGING (filters and formatter) ---------------------------------------------
REQUEST_ID_FILTER = "django_apisec.request.request_id.RequestIdFilter"
REDACTING_FILTER = "django_apisec.observability.redaction.RedactingFilter"
JSON_LINES_FORMATTER = "django_apisec.observability.formatting.JsonLinesFormatter"

# --- django_apisec: django-ratelimit's key= and rate= ------------------------------------------
RATELIMIT_KEY = "django_apisec.request.addresses.ratelimit_key"
RATELIMIT_RATE = "django_apisec.abuse.throttling.ratelimit_rate"

# --- Django, DRF and django-cors-headers paths harden() writes and checks compare ---------------
SECURITY_MIDDLEWARE = "django.middleware.security.SecurityMiddleware"
SESSION_MIDDLEWARE = "django.contrib.sessions.middleware.SessionMiddleware"
COMMON_MIDDLEWARE = "django.middleware.common.CommonMiddleware"
CSRF_MIDDLEWARE = "django.middleware.csrf.CsrfViewMiddleware"
AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"
MESSAGE_MIDDLEWARE = "django.contrib.messages.middleware.MessageMiddleware"
XFRAME_MIDDLEWARE = "django.middleware.clickjacking.XFrameOptionsMiddleware"
DJANGO_CSP_MIDDLEWARE = "django.middleware.csp.ContentSecurityPolicyMiddleware"  # Django 6.0+
CORS_MIDDLEWARE = "corsheaders.middleware.CorsMiddleware"
BROWSABLE_API_RENDERER = "rest_framework.renderers.BrowsableAPIRenderer"
ARGON2_HASHER = "django.contrib.auth.hashers.Argon2PasswordHasher"
