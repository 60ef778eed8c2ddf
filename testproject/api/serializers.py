from django.contrib.auth import get_user_model
from rest_framework import serializers

from testproject.api.models import Note, Project, Task


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email"]
        read_only_fields = fields


class NoteSerializer(serializers.ModelSerializer):
    owner = serializers.ReadOnlyField(source="owner.username")

    class Meta:
        model = Note
        fields = ["id", "title", "body", "owner", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class ProjectSerializer(serializers.ModelSerializer):
    owner = serializers.ReadOnlyField(source="owner.username")

    class Meta:
        model = Project
        fields = ["id", "name", "owner"]
        read_only_fields = ["id"]


class TaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = Task
        fields = ["id", "project", "title", "done"]
        read_only_fields = ["id"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        # A task may only go into one of the requester's own projects; a foreign project id
        # fails exactly like a nonexistent one.
        owned = Project.objects.filter(owner=user) if user and user.is_authenticated else None
        fields["project"].queryset = owned if owned is not None else Project.objects.none()
        return fields
