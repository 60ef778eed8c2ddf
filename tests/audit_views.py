"""Views for the views-audit tests: each class is one case, its expected ids in the test module."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.views import View
from drf_spectacular.views import SpectacularAPIView
from rest_framework import generics, serializers, viewsets
from rest_framework.decorators import api_view, permission_classes
from rest_framework.filters import BaseFilterBackend, OrderingFilter, SearchFilter
from rest_framework.permissions import AllowAny, BasePermission, IsAdminUser, IsAuthenticated
from rest_framework.permissions import IsAuthenticatedOrReadOnly as ReadOnlyForAnonymous
from rest_framework.response import Response
from rest_framework.views import APIView

from django_apisec.ownership.permissions import public
from testproject.api.models import Note, Project, Task

User = get_user_model()


# --- serializers ------------------------------------------------------------------------------


class SafeNoteSerializer(serializers.ModelSerializer):
    owner = serializers.ReadOnlyField(source="owner.username")

    class Meta:
        model = Note
        fields = ["id", "title", "owner"]


class SafeTaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = Task
        fields = ["id", "title", "done"]
        read_only_fields = ["id"]


class AllTaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = Task
        fields = "__all__"


class ExcludeTaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = Task
        exclude = ["done"]


class NestedAllProjectSerializer(serializers.ModelSerializer):
    """Safe itself; the nested task serializer lists every field."""

    tasks = AllTaskSerializer(many=True, read_only=True)

    class Meta:
        model = Project
        fields = ["id", "name", "tasks"]
        read_only_fields = ["id"]


class ExcludeProjectSerializer(serializers.ModelSerializer):
    """Its writable owner is harmless where it is nested read-only."""

    class Meta:
        model = Project
        exclude = ["created_at"]


class NestedExcludeTaskSerializer(serializers.ModelSerializer):
    project = ExcludeProjectSerializer(read_only=True)

    class Meta:
        model = Task
        fields = ["id", "project"]


class OwnerProjectSerializer(serializers.ModelSerializer):
    class Meta:
        model = Project
        fields = ["id", "name", "owner"]


class WritableNestedTaskSerializer(serializers.ModelSerializer):
    """A writable nested project: the client chooses the project's owner."""

    project = OwnerProjectSerializer()

    class Meta:
        model = Task
        fields = ["id", "title", "project"]


class PasswordUserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "password"]


class WriteOnlyPasswordUserSerializer(serializers.ModelSerializer):
    token = serializers.CharField(write_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "password", "token"]
        extra_kwargs = {"password": {"write_only": True}}


class RenamedSecretUserSerializer(serializers.ModelSerializer):
    """``pw`` looks harmless, its source does not."""

    pw = serializers.CharField(source="password", read_only=True)
    api_key = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "pw", "api_key"]


class PlainTokenSerializer(serializers.Serializer):
    """Issuing a token is a login endpoint's purpose: plain serializers are not audited."""

    token = serializers.CharField(read_only=True)


class WritableOwnerNoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Note
        fields = ["id", "title", "owner"]


class ReadOnlyOwnerNoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Note
        fields = ["id", "title", "owner"]
        read_only_fields = ["owner"]


class ExtraReadOnlyOwnerNoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Note
        fields = ["id", "title", "owner"]
        extra_kwargs = {"owner": {"read_only": True}}


class HiddenOwnerNoteSerializer(serializers.ModelSerializer):
    owner = serializers.HiddenField(default=serializers.CurrentUserDefault())

    class Meta:
        model = Note
        fields = ["id", "title", "owner"]


class AliasedOwnerNoteSerializer(serializers.ModelSerializer):
    user = serializers.PrimaryKeyRelatedField(source="owner", queryset=User.objects.all())

    class Meta:
        model = Note
        fields = ["id", "title", "user"]


class AllNoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Note
        fields = "__all__"


# --- permissions and filters ----------------------------------------------------------------


class IsOwner(BasePermission):
    def has_object_permission(self, request, view, obj):
        return bool(obj.owner == request.user)


class PostOnlyForAnonymous(BasePermission):
    def has_permission(self, request, view):
        return request.method == "POST" or bool(request.user.is_authenticated)


class ExplodingPermission(BasePermission):
    def has_permission(self, request, view):
        raise RuntimeError("needs a real request")


class OwnerFilterBackend(BaseFilterBackend):
    def filter_queryset(self, request, queryset, view):
        return queryset.filter(owner=request.user)


# --- E501: anonymous access -------------------------------------------------------------------


class OpenView(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        return Response({})


@public
class PublicView(APIView):
    def get(self, request):
        return Response({})


class OrOpenView(APIView):
    permission_classes = [IsAuthenticated | AllowAny]

    def get(self, request):
        return Response({})


class AndClosedView(APIView):
    permission_classes = [IsAuthenticated & AllowAny]

    def get(self, request):
        return Response({})


class NotClosedView(APIView):
    permission_classes = [~AllowAny]

    def get(self, request):
        return Response({})


class ReadOnlyForAnonymousView(APIView):
    permission_classes = [ReadOnlyForAnonymous]

    def get(self, request):
        return Response({})

    def post(self, request):
        return Response({})


class PostOnlyForAnonymousView(APIView):
    permission_classes = [PostOnlyForAnonymous]

    def get(self, request):
        return Response({})

    def post(self, request):
        return Response({})


class NoPermissionsView(APIView):
    permission_classes: list[type[BasePermission]] = []

    def delete(self, request):
        return Response({})


class ClosedView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({})

    def post(self, request):
        return Response({})


class ExplodingPermissionView(APIView):
    permission_classes = [ExplodingPermission]

    def get(self, request):
        return Response({})


class ExplodingInitView(APIView):
    permission_classes = [AllowAny]

    def __init__(self, **kwargs):
        raise RuntimeError("cannot be built outside a request")

    def get(self, request):
        return Response({})


class MethodsDisabledView(APIView):
    """Anonymous POST would pass, but POST is answered 405 before permissions run."""

    permission_classes = [ReadOnlyForAnonymous]
    http_method_names = ["post", "options"]

    def get(self, request):
        return Response({})

    def post(self, request):
        return Response({})


class ReadOnlyViaMethodsViewSet(viewsets.ModelViewSet):
    """Anonymous reads pass its permission, but only writes are enabled."""

    queryset = Task.objects.all()
    serializer_class = SafeTaskSerializer
    permission_classes = [ReadOnlyForAnonymous]
    http_method_names = ["post", "put", "options"]


class NoMethodsView(APIView):
    """Only OPTIONS: nothing to audit."""

    permission_classes = [AllowAny]


class ListOpenViewSet(viewsets.ReadOnlyModelViewSet):
    """Anonymous on ``list`` only: get_permissions() is evaluated per action."""

    queryset = Task.objects.all()
    serializer_class = SafeTaskSerializer

    def get_permissions(self):
        if self.action == "list":
            return [AllowAny()]
        return [IsAuthenticated()]


@public
class PublicViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Task.objects.all()
    serializer_class = SafeTaskSerializer


@api_view(["GET"])
@permission_classes([AllowAny])
def open_function(request):
    return Response({})


@public
@api_view(["GET"])
@permission_classes([AllowAny])
def public_function(request):
    return Response({})


def django_function(request):
    return HttpResponse("plain Django: not audited")


class DjangoClassView(View):
    def get(self, request):
        return HttpResponse("plain Django: not audited")


# --- E502: object scoping on detail routes ----------------------------------------------------


class UnscopedNoteViewSet(viewsets.ModelViewSet):
    queryset = Note.objects.all()
    serializer_class = SafeNoteSerializer


class OwnerFieldNoteViewSet(viewsets.ModelViewSet):
    queryset = Note.objects.all()
    serializer_class = SafeNoteSerializer
    owner_field = "owner"


class ScopedQuerysetMixin:
    def get_queryset(self):
        return Note.objects.filter(owner=self.request.user)


class MixinScopedNoteViewSet(ScopedQuerysetMixin, viewsets.ModelViewSet):
    queryset = Note.objects.all()
    serializer_class = SafeNoteSerializer


class ObjectPermissionNoteDetail(generics.RetrieveUpdateDestroyAPIView):
    queryset = Note.objects.all()
    serializer_class = SafeNoteSerializer
    permission_classes = [IsAuthenticated & IsOwner]


class OrObjectPermissionNoteDetail(generics.RetrieveAPIView):
    """``IsAuthenticated | IsOwner`` admits every authenticated user to every object."""

    queryset = Note.objects.all()
    serializer_class = SafeNoteSerializer
    permission_classes = [IsAuthenticated | IsOwner]


class NotObjectPermissionNoteDetail(generics.RetrieveAPIView):
    queryset = Note.objects.all()
    serializer_class = SafeNoteSerializer
    permission_classes = [IsAuthenticated, ~IsOwner]


class FilterBackendNoteDetail(generics.RetrieveAPIView):
    queryset = Note.objects.all()
    serializer_class = SafeNoteSerializer
    filter_backends = [OwnerFilterBackend]


class StockFilterNoteDetail(generics.RetrieveAPIView):
    queryset = Note.objects.all()
    serializer_class = SafeNoteSerializer
    filter_backends = [SearchFilter, OrderingFilter]
    search_fields = ["title"]
    ordering_fields = ["title"]


class SlugNoteDetail(generics.RetrieveAPIView):
    """Looked up by ``title`` under the URL kwarg ``slug``."""

    queryset = Note.objects.all()
    serializer_class = SafeNoteSerializer
    lookup_field = "title"
    lookup_url_kwarg = "slug"


class NoteList(generics.ListAPIView):
    """A route with a kwarg that is not the lookup: not a detail route."""

    queryset = Note.objects.all()
    serializer_class = SafeNoteSerializer


class UnownedTaskDetail(generics.RetrieveAPIView):
    """Task is owned through its project only: direct owners are what the audit detects."""

    queryset = Task.objects.all()
    serializer_class = SafeTaskSerializer


class NoQuerysetDetail(generics.RetrieveAPIView):
    serializer_class = SafeNoteSerializer


# --- E503 / W504: serializer field lists ------------------------------------------------------


class AllFieldsTaskList(generics.ListCreateAPIView):
    queryset = Task.objects.all()
    serializer_class = AllTaskSerializer


class ExcludeTaskList(generics.ListCreateAPIView):
    queryset = Task.objects.all()
    serializer_class = ExcludeTaskSerializer


class NestedAllProjectList(generics.ListAPIView):
    queryset = Project.objects.all()
    serializer_class = NestedAllProjectSerializer


class NestedExcludeTaskList(generics.ListAPIView):
    queryset = Task.objects.all()
    serializer_class = NestedExcludeTaskSerializer


# --- E505 / E506 / E507: ordering, filtering, searching --------------------------------------


class OrderingAllTaskList(generics.ListAPIView):
    queryset = Task.objects.all()
    serializer_class = SafeTaskSerializer
    filter_backends = [OrderingFilter]
    ordering_fields = "__all__"


class FiltersetAllTaskList(generics.ListAPIView):
    queryset = Task.objects.all()
    serializer_class = SafeTaskSerializer
    filterset_fields = "__all__"


class SecretSearchNoteList(generics.ListAPIView):
    queryset = Note.objects.all()
    serializer_class = SafeNoteSerializer
    filter_backends = [SearchFilter]
    search_fields = ["title", "^owner__password"]


class SecretOrderingNoteList(generics.ListAPIView):
    queryset = Note.objects.all()
    serializer_class = SafeNoteSerializer
    ordering_fields = ["title", "owner__auth_token"]


class SecretFiltersetNoteList(generics.ListAPIView):
    queryset = Note.objects.all()
    serializer_class = SafeNoteSerializer
    filterset_fields = {"title": ["exact"], "owner__api_key": ["exact"]}


class HarmlessLookupsNoteList(generics.ListAPIView):
    """``passwordless`` and ``tokens`` are whole segments that name no secret."""

    queryset = Note.objects.all()
    serializer_class = SafeNoteSerializer
    search_fields = ["=title", "owner__passwordless"]
    ordering_fields = ["tokens"]
    filterset_fields = ["title"]


# --- E508: secrets in responses ---------------------------------------------------------------


class PasswordUserList(generics.ListAPIView):
    queryset = User.objects.all()
    serializer_class = PasswordUserSerializer


class WriteOnlyPasswordUserCreate(generics.CreateAPIView):
    queryset = User.objects.all()
    serializer_class = WriteOnlyPasswordUserSerializer


class RenamedSecretUserList(generics.ListAPIView):
    queryset = User.objects.all()
    serializer_class = RenamedSecretUserSerializer


@public
class TokenIssuingView(generics.GenericAPIView):
    serializer_class = PlainTokenSerializer

    def post(self, request):
        return Response({"token": "issued"})


# --- E509: writable owner ---------------------------------------------------------------------


class WritableOwnerNoteCreate(generics.CreateAPIView):
    queryset = Note.objects.all()
    serializer_class = WritableOwnerNoteSerializer


class ReadOnlyOwnerNoteCreate(generics.CreateAPIView):
    queryset = Note.objects.all()
    serializer_class = ReadOnlyOwnerNoteSerializer


class ExtraReadOnlyOwnerNoteCreate(generics.CreateAPIView):
    queryset = Note.objects.all()
    serializer_class = ExtraReadOnlyOwnerNoteSerializer


class HiddenOwnerNoteCreate(generics.CreateAPIView):
    queryset = Note.objects.all()
    serializer_class = HiddenOwnerNoteSerializer


class AliasedOwnerNoteCreate(generics.CreateAPIView):
    queryset = Note.objects.all()
    serializer_class = AliasedOwnerNoteSerializer


class WritableNestedTaskCreate(generics.CreateAPIView):
    queryset = Task.objects.all()
    serializer_class = WritableNestedTaskSerializer


class AllFieldsNoteViewSet(viewsets.ModelViewSet):
    """Several problems at once, each reported once although the router makes four routes."""

    queryset = Note.objects.all()
    serializer_class = AllNoteSerializer
    permission_classes = [ReadOnlyForAnonymous]
    ordering_fields = "__all__"


# --- E510 / W513: querysets built for two users ------------------------------------------------


class SameForEveryoneNoteList(generics.ListAPIView):
    serializer_class = SafeNoteSerializer

    def get_queryset(self):
        return Note.objects.all()


class UserFilteredNoteList(generics.ListAPIView):
    serializer_class = SafeNoteSerializer

    def get_queryset(self):
        return Note.objects.filter(owner=self.request.user)


class KwargNeedingNoteList(generics.ListAPIView):
    serializer_class = SafeNoteSerializer

    def get_queryset(self):
        return Note.objects.filter(owner_id=self.kwargs["user_id"])


class DatabaseTouchingNoteList(generics.ListAPIView):
    serializer_class = SafeNoteSerializer

    def get_queryset(self):
        first = Note.objects.filter(owner=self.request.user).first()
        return Note.objects.filter(pk=getattr(first, "pk", None))


class ListReturningNoteList(generics.ListAPIView):
    serializer_class = SafeNoteSerializer

    def get_queryset(self):
        return [Note(title="not a queryset")]


# --- E511: lookups in method bodies --------------------------------------------------------------


class DirectLookupNoteView(APIView):
    def delete(self, request, pk):
        Note.objects.filter(pk=pk).delete()
        return Response(status=204)


class ScopedLookupNoteView(APIView):
    def get(self, request, pk):
        note = Note.objects.filter(owner=request.user).get(pk=pk)
        other = get_object_or_404(Note, pk=pk, owner=request.user)
        return Response({"title": note.title, "same": other == note})

    def post(self, request, pk):
        Note.objects.create(title="new", owner=request.user)
        return Response(status=201)


# --- W515 / W516: inventory ------------------------------------------------------------------


@public
class PublicSchemaView(SpectacularAPIView):
    pass


class StaffSchemaView(SpectacularAPIView):
    permission_classes = [IsAdminUser]
