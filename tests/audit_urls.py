"""URLconf of the views-audit tests: every case of tests/audit_views.py, reached the usual ways."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path, re_path
from rest_framework.routers import DefaultRouter, SimpleRouter
from rest_framework.urlpatterns import format_suffix_patterns

from tests import audit_views as v

router = DefaultRouter()
router.include_root_view = False
router.register("list-open", v.ListOpenViewSet, basename="list-open")
router.register("public-viewset", v.PublicViewSet, basename="public-viewset")
router.register("writes-only", v.ReadOnlyViaMethodsViewSet, basename="writes-only")
router.register("unscoped-notes", v.UnscopedNoteViewSet, basename="unscoped-note")
router.register("owner-field-notes", v.OwnerFieldNoteViewSet, basename="owner-field-note")
router.register("mixin-notes", v.MixinScopedNoteViewSet, basename="mixin-note")
router.register("all-notes", v.AllFieldsNoteViewSet, basename="all-note")

# The same viewset again, under a namespace and a second prefix: still one report per problem.
namespaced_router = SimpleRouter()
namespaced_router.register("again", v.AllFieldsNoteViewSet, basename="again")

anonymous = [
    path("open/", v.OpenView.as_view()),
    path("public/", v.PublicView.as_view()),
    path("or-open/", v.OrOpenView.as_view()),
    path("and-closed/", v.AndClosedView.as_view()),
    path("not-closed/", v.NotClosedView.as_view()),
    path("read-only/", v.ReadOnlyForAnonymousView.as_view()),
    path("post-only/", v.PostOnlyForAnonymousView.as_view()),
    path("no-permissions/", v.NoPermissionsView.as_view()),
    path("closed/", v.ClosedView.as_view()),
    path("exploding-permission/", v.ExplodingPermissionView.as_view()),
    path("exploding-init/", v.ExplodingInitView.as_view()),
    path("no-methods/", v.NoMethodsView.as_view()),
    path("methods-disabled/", v.MethodsDisabledView.as_view()),
    path("open-function/", v.open_function),
    path("public-function/", v.public_function),
    path("django-function/", v.django_function),
    path("django-class/", v.DjangoClassView.as_view()),
]

detail = [
    path("object-permission/<int:pk>/", v.ObjectPermissionNoteDetail.as_view()),
    re_path(r"^or-object-permission/(?P<pk>\d+)/$", v.OrObjectPermissionNoteDetail.as_view()),
    path("not-object-permission/<int:pk>/", v.NotObjectPermissionNoteDetail.as_view()),
    path("filter-backend/<int:pk>/", v.FilterBackendNoteDetail.as_view()),
    path("stock-filter/<int:pk>/", v.StockFilterNoteDetail.as_view()),
    path("by-title/<slug:slug>/", v.SlugNoteDetail.as_view()),
    path("users/<int:user_id>/notes/", v.NoteList.as_view()),
    path("tasks/<int:pk>/", v.UnownedTaskDetail.as_view()),
    path("no-queryset/<int:pk>/", v.NoQuerysetDetail.as_view()),
]

serializers = [
    path("all-fields/", v.AllFieldsTaskList.as_view()),
    path("exclude/", v.ExcludeTaskList.as_view()),
    path("nested-all/", v.NestedAllProjectList.as_view()),
    path("nested-exclude/", v.NestedExcludeTaskList.as_view()),
    path("ordering-all/", v.OrderingAllTaskList.as_view()),
    path("filterset-all/", v.FiltersetAllTaskList.as_view()),
    path("secret-search/", v.SecretSearchNoteList.as_view()),
    path("secret-ordering/", v.SecretOrderingNoteList.as_view()),
    path("secret-filterset/", v.SecretFiltersetNoteList.as_view()),
    path("harmless-lookups/", v.HarmlessLookupsNoteList.as_view()),
    path("password-users/", v.PasswordUserList.as_view()),
    path("write-only-password/", v.WriteOnlyPasswordUserCreate.as_view()),
    path("renamed-secret/", v.RenamedSecretUserList.as_view()),
    path("token/", v.TokenIssuingView.as_view()),
    path("writable-owner/", v.WritableOwnerNoteCreate.as_view()),
    path("read-only-owner/", v.ReadOnlyOwnerNoteCreate.as_view()),
    path("extra-read-only-owner/", v.ExtraReadOnlyOwnerNoteCreate.as_view()),
    path("hidden-owner/", v.HiddenOwnerNoteCreate.as_view()),
    path("aliased-owner/", v.AliasedOwnerNoteCreate.as_view()),
    path("writable-nested/", v.WritableNestedTaskCreate.as_view()),
]

scoping = [
    path("same-for-everyone/", v.SameForEveryoneNoteList.as_view()),
    path("user-filtered/", v.UserFilteredNoteList.as_view()),
    path("kwarg-needing/", v.KwargNeedingNoteList.as_view()),
    path("database-touching/", v.DatabaseTouchingNoteList.as_view()),
    path("list-returning/", v.ListReturningNoteList.as_view()),
    path("direct-lookup/<int:pk>/", v.DirectLookupNoteView.as_view()),
    path("scoped-lookup/<int:pk>/", v.ScopedLookupNoteView.as_view()),
    path("schema/", v.PublicSchemaView.as_view()),
    path("staff-schema/", v.StaffSchemaView.as_view()),
]

urlpatterns = [
    path("audit/scoping/", include(scoping)),
    path("audit/admin/", admin.site.urls),
    path("audit/", include(format_suffix_patterns(anonymous))),
    re_path(r"^audit/detail/", include(detail)),
    path("audit/serializers/", include((serializers, "audit"), namespace="serializers")),
    path("audit/router/", include(router.urls)),
    path("audit/namespaced/", include((namespaced_router.urls, "again"), namespace="again")),
]
