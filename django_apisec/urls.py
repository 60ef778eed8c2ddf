"""URLs of the JWT session views; include them under the path the refresh cookie is scoped to.

path("api/auth/", include("django_apisec.urls"))
"""

from __future__ import annotations

from django.urls import path

from django_apisec.jwt import mfa_views, sessions_views, views

__all__ = ["app_name", "urlpatterns"]

app_name = "apisec_auth"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("refresh/", views.RefreshView.as_view(), name="refresh"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("logout-all/", views.LogoutAllView.as_view(), name="logout-all"),
    path("password/", views.PasswordChangeView.as_view(), name="password"),
    path("reauth/", mfa_views.ReauthView.as_view(), name="reauth"),
    path("mfa/verify/", mfa_views.MFAVerifyView.as_view(), name="mfa-verify"),
    path("mfa/totp/", mfa_views.TOTPView.as_view(), name="mfa-totp"),
    path("mfa/totp/confirm/", mfa_views.TOTPConfirmView.as_view(), name="mfa-totp-confirm"),
    path("mfa/recovery-codes/", mfa_views.RecoveryCodesView.as_view(), name="mfa-recovery-codes"),
    path("sessions/", sessions_views.SessionListView.as_view(), name="sessions"),
    path(
        "sessions/<uuid:session_id>/",
        sessions_views.SessionDetailView.as_view(),
        name="session-detail",
    ),
]
