"""URLs of the JWT session views; include them under the path the refresh cookie is scoped to.

path("api/auth/", include("django_apisec.urls"))
"""

from __future__ import annotations

from django.urls import path

from django_apisec.jwt import mfa_views, sessions_views, views, webauthn_views

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
    path(
        "webauthn/register/options/",
        webauthn_views.PasskeyRegistrationOptionsView.as_view(),
        name="webauthn-register-options",
    ),
    path(
        "webauthn/register/",
        webauthn_views.PasskeyRegistrationView.as_view(),
        name="webauthn-register",
    ),
    path(
        "webauthn/credentials/",
        webauthn_views.PasskeyListView.as_view(),
        name="webauthn-credentials",
    ),
    path(
        "webauthn/credentials/<uuid:passkey_id>/",
        webauthn_views.PasskeyDetailView.as_view(),
        name="webauthn-credential-detail",
    ),
    path(
        "webauthn/mfa/options/",
        webauthn_views.PasskeyMFAOptionsView.as_view(),
        name="webauthn-mfa-options",
    ),
    path(
        "webauthn/reauth/options/",
        webauthn_views.PasskeyReauthOptionsView.as_view(),
        name="webauthn-reauth-options",
    ),
    path(
        "webauthn/login/options/",
        webauthn_views.PasskeyLoginOptionsView.as_view(),
        name="webauthn-login-options",
    ),
    path("webauthn/login/", webauthn_views.PasskeyLoginView.as_view(), name="webauthn-login"),
    path("sessions/", sessions_views.SessionListView.as_view(), name="sessions"),
    path(
        "sessions/<uuid:session_id>/",
        sessions_views.SessionDetailView.as_view(),
        name="session-detail",
    ),
]
