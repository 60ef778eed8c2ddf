from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from django_apisec.permissions import public
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

    @extend_schema(
        responses=inline_serializer("Health", {"status": serializers.CharField()})
    )
    def get(self, request):
        return Response({"status": "ok"})


class MeView(APIView):
    """The authenticated user."""

    @extend_schema(responses=UserSerializer)
    def get(self, request):
        return Response(UserSerializer(request.user).data)


class OwnedViewSet(viewsets.ModelViewSet):
    """Scopes every action to the requester's objects (replaced by OwnedQuerysetMixin later)."""

    owner_lookup = "owner"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset.none()
        return self.queryset.filter(**{self.owner_lookup: self.request.user})


class NoteViewSet(OwnedViewSet):
    queryset = Note.objects.all()
    serializer_class = NoteSerializer

    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)


class ProjectViewSet(OwnedViewSet):
    queryset = Project.objects.all()
    serializer_class = ProjectSerializer

    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)


class TaskViewSet(OwnedViewSet):
    queryset = Task.objects.select_related("project")
    serializer_class = TaskSerializer
    owner_lookup = "project__owner"
