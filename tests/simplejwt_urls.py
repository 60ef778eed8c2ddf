"""The testproject's URLs plus simplejwt's own token views, marked public as a real project would.

For the checks that apply only where simplejwt's own refresh and blacklist machinery is reachable
(``apisec.E209``, ``W210``, ``W214``): ``ROOT_URLCONF = "tests.simplejwt_urls"``.
"""

from __future__ import annotations

from django.urls import include, path
from rest_framework_simplejwt import views

from django_apisec.ownership.permissions import public


@public
class TokenObtainPairView(views.TokenObtainPairView):
    """simplejwt's login view, under the project's own name."""


@public
class TokenRefreshView(views.TokenRefreshView):
    """simplejwt's refresh view."""


urlpatterns = [
    path("token/", TokenObtainPairView.as_view()),
    path("token/refresh/", TokenRefreshView.as_view()),
    path("", include("testproject.urls")),
]
