from django.contrib.auth import get_user_model
from rest_framework import serializers

from django_apisec.ownership import StrictFieldsMixin
from testproject.api.models import Note, Project, Task


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email"]
        read_only_fields = fields


class NoteSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    owner = serializers.ReadOnlyField(source="owner.username")

    class Meta:
        model = Note
        fields = ["id", "title", "body", "owner", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class ProjectSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    owner = serializers.ReadOnlyField(source="owner.username")

    class Meta:
        model = Project
        fields = ["id", "name", "owner"]
        read_only_fields = ["id"]


class TaskSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    # The view's owner_field ("project__owner") narrows `project` to the requester's projects.
    class Meta:
        model = Task
        fields = ["id", "project", "title", "done"]
        read_only_fields = ["id"]
