"""Views built on OwnedQuerysetMixin over the testproject's models, for the ownership tests."""

from __future__ import annotations

from django.urls import include, path
from rest_framework import filters, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from django_apisec.ownership.mixins import OwnedQuerysetMixin, StaffMayRead
from django_apisec.ownership.serializers import StrictFieldsMixin
from testproject.api.models import Note, Project, Task


class NoteSerializer(StrictFieldsMixin, serializers.ModelSerializer[Note]):
    owner = serializers.ReadOnlyField(source="owner.username")

    class Meta:
        model = Note
        fields = ["id", "title", "body", "owner"]


class WritableOwnerNoteSerializer(serializers.ModelSerializer[Note]):
    """A careless serializer: the owner is a writable primary key."""

    class Meta:
        model = Note
        fields = ["id", "title", "body", "owner"]


class TaskSerializer(StrictFieldsMixin, serializers.ModelSerializer[Task]):
    class Meta:
        model = Task
        fields = ["id", "project", "title", "done"]


class NoteViewSet(OwnedQuerysetMixin, viewsets.ModelViewSet[Note]):
    queryset = Note.objects.all()
    serializer_class = NoteSerializer
    owner_field = "owner"
    filter_backends = [filters.SearchFilter, filters.OrderingFilter]
    search_fields = ["title", "body"]
    ordering_fields = ["id", "title"]

    @action(detail=False, methods=["get"])
    def stats(self, request):
        return Response({"count": self.get_queryset().count()})

    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        note = self.get_object()
        note.title = f"[archived] {note.title}"
        note.save()
        return Response({"id": note.pk, "title": note.title})


class HandwrittenNoteViewSet(viewsets.ModelViewSet[Note]):
    """What a careful developer writes by hand: the baseline for query counts."""

    serializer_class = NoteSerializer

    def get_queryset(self):
        return Note.objects.filter(owner=self.request.user)


class CarelessNoteViewSet(NoteViewSet):
    serializer_class = WritableOwnerNoteSerializer


class TransferableNoteViewSet(NoteViewSet):
    serializer_class = WritableOwnerNoteSerializer
    allow_owner_transfer = True


class StaffReadNoteViewSet(NoteViewSet):
    owner_bypass = [StaffMayRead]


class GroupNoteViewSet(NoteViewSet):
    """Notes of everyone who shares a group with the requester: a many-valued owner path."""

    owner_field = "owner__groups__user"


class TaskViewSet(OwnedQuerysetMixin, viewsets.ModelViewSet[Task]):
    queryset = Task.objects.all()
    serializer_class = TaskSerializer
    owner_field = "project__owner"


class ProjectViewSet(OwnedQuerysetMixin, viewsets.ReadOnlyModelViewSet[Project]):
    queryset = Project.objects.all()
    owner_field = "owner"

    def get_serializer_class(self):
        class ProjectSerializer(serializers.ModelSerializer[Project]):
            class Meta:
                model = Project
                fields = ["id", "name"]

        return ProjectSerializer


class DetailOnlyNoteViewSet(
    OwnedQuerysetMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[Note],
):
    """No list route: the isolation helper checks the detail routes only."""

    queryset = Note.objects.all()
    serializer_class = NoteSerializer
    owner_field = "owner"


class TaskWithExtraRelationsViewSet(TaskViewSet):
    """Declared relations the serializer does not have, or only reads, are left alone."""

    owned_relations = {"labels": "owner", "id": "owner"}


class LeakyNoteViewSet(viewsets.ModelViewSet[Note]):
    """No scoping at all: what the isolation helper must catch."""

    queryset = Note.objects.all()
    serializer_class = NoteSerializer


router = SimpleRouter()
router.register("detail-only-notes", DetailOnlyNoteViewSet, basename="detail-only-note")
router.register("extra-tasks", TaskWithExtraRelationsViewSet, basename="extra-task")
router.register("leaky-notes", LeakyNoteViewSet, basename="leaky-note")
router.register("notes", NoteViewSet, basename="note")
router.register("handwritten-notes", HandwrittenNoteViewSet, basename="handwritten-note")
router.register("careless-notes", CarelessNoteViewSet, basename="careless-note")
router.register("transfer-notes", TransferableNoteViewSet, basename="transfer-note")
router.register("staff-notes", StaffReadNoteViewSet, basename="staff-note")
router.register("group-notes", GroupNoteViewSet, basename="group-note")
router.register("tasks", TaskViewSet, basename="task")
router.register("projects", ProjectViewSet, basename="project")

urlpatterns = [path("api/", include(router.urls))]
