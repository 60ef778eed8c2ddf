"""URLs of the JWT session views; include them under the path the refresh cookie is scoped to.

path("api/auth/", include("django_apisec.urls"))
"""

from __future__ import annotations

from django.urls import path

from django_apisec.jwt import views

__all__ = ["app_name", "urlpatterns"]

app_name = "apisec_auth"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("refresh/", views.RefreshView.as_view(), name="refresh"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("logout-all/", views.LogoutAllView.as_view(), name="logout-all"),
    path("password/", views.PasswordChangeView.as_view(), name="password"),
]
