from django.urls import include, path
from rest_framework.routers import DefaultRouter

from django_apisec.apikeys.views import ApiKeyViewSet
from testproject.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("notes", views.NoteViewSet, basename="note")
router.register("projects", views.ProjectViewSet, basename="project")
router.register("tasks", views.TaskViewSet, basename="task")
# Create (the key is shown once), list and revoke the requester's API keys.
router.register("keys", ApiKeyViewSet, basename="apikey")


urlpatterns = [
    path("health/", views.HealthView.as_view(), name="health"),
    path("schema/", views.SchemaView.as_view(), name="schema"),
    # login/, refresh/, logout/, logout-all/, password/; the refresh cookie is scoped to auth/.
    path("auth/", include("django_apisec.urls")),
    path("me/", views.MeView.as_view(), name="me"),
    *router.urls,
]
