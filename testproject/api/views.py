from drf_spectacular.utils import extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView
from rest_framework import filters, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from django_apisec.apikeys.scopes import ANY_KEY, scopes_for
from django_apisec.ownership import OwnedQuerysetMixin, public
from testproject.api.models import Note, Project, Task
from testproject.api.serializers import (
    NoteSerializer,
    ProjectSerializer,
    TaskSerializer,
    UserSerializer,
)


@public
class HealthView(APIView):
    """Liveness probe."""

    @extend_schema(responses=inline_serializer("Health", {"status": serializers.CharField()}))
    def get(self, request):
        return Response({"status": "ok"})


@public
class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema of the whole API."""


class MeView(APIView):
    """The authenticated user (any valid API key may ask)."""

    required_scopes = {"GET": ANY_KEY, "HEAD": ANY_KEY, "OPTIONS": ANY_KEY}

    @extend_schema(responses=UserSerializer)
    def get(self, request):
        return Response(UserSerializer(request.user).data)


class NoteViewSet(OwnedQuerysetMixin, viewsets.ModelViewSet):
    """The requester's notes; search with ?search=, sort with ?ordering=."""

    required_scopes = scopes_for("notes")

    queryset = Note.objects.select_related("owner")
    serializer_class = NoteSerializer
    owner_field = "owner"
    filter_backends = [filters.SearchFilter, filters.OrderingFilter]
    search_fields = ["title", "body"]
    ordering_fields = ["id", "title", "created_at", "updated_at"]


class ProjectViewSet(OwnedQuerysetMixin, viewsets.ModelViewSet):
    """The requester's projects."""

    required_scopes = scopes_for("projects")

    queryset = Project.objects.select_related("owner")
    serializer_class = ProjectSerializer
    owner_field = "owner"


class TaskViewSet(OwnedQuerysetMixin, viewsets.ModelViewSet):
    """Tasks in the requester's projects."""

    required_scopes = scopes_for("tasks")

    queryset = Task.objects.all()
    serializer_class = TaskSerializer
    owner_field = "project__owner"
