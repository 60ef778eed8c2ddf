from django.urls import path
from rest_framework.routers import DefaultRouter
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from django_apisec.permissions import public
from testproject.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("notes", views.NoteViewSet, basename="note")
router.register("projects", views.ProjectViewSet, basename="project")
router.register("tasks", views.TaskViewSet, basename="task")


@public
class LoginView(TokenObtainPairView):
    """Obtain an access/refresh pair (plain simplejwt until the JWT session layer lands)."""

    throttle_scope = "login_ip"


@public
class RefreshView(TokenRefreshView):
    """Rotate a refresh token (plain simplejwt until the JWT session layer lands)."""


urlpatterns = [
    path("health/", views.HealthView.as_view(), name="health"),
    path("schema/", views.SchemaView.as_view(), name="schema"),
    path("auth/login/", LoginView.as_view(), name="login"),
    path("auth/refresh/", RefreshView.as_view(), name="refresh"),
    path("me/", views.MeView.as_view(), name="me"),
    *router.urls,
]
