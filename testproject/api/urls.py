from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from django_apisec.permissions import public
from testproject.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("notes", views.NoteViewSet, basename="note")
router.register("projects", views.ProjectViewSet, basename="project")
router.register("tasks", views.TaskViewSet, basename="task")


public(SpectacularAPIView)

urlpatterns = [
    path("health/", views.HealthView.as_view(), name="health"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # login/, refresh/, logout/, logout-all/, password/; the refresh cookie is scoped to auth/.
    path("auth/", include("django_apisec.urls")),
    path("me/", views.MeView.as_view(), name="me"),
    *router.urls,
]
