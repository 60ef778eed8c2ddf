"""URLconf of tests/audit_unusual_views.py."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from tests import audit_unusual_views as v

urlpatterns = [
    path("type-built/", v.TypeBuiltNoteList.as_view()),
    path("sourceless/", v.SourcelessNoteList.as_view()),
    path("exec-built/<int:pk>/", v.ExecBuiltNoteView.as_view()),
    path("lambda/<int:pk>/", v.LambdaNoteView.as_view()),
    path("callable-queryset/", v.CallableQuerysetNoteList.as_view()),
    path("looping-wrapper/", v.LoopingWrapperNoteList.as_view()),
    path("no-notes/", v.NoNotesList.as_view()),
    path("owner-permission/<int:pk>/", v.OwnerPermissionNoteDetail.as_view()),
    path("filter-backends/<int:pk>/", v.FilterBackendsNotAListNoteDetail.as_view()),
    path("exploding-serializer/", v.ExplodingSerializerTaskList.as_view()),
    path("owned-relation/", v.OwnedRelationTaskList.as_view()),
    path("every-project-relation/", v.EveryProjectRelationTaskList.as_view()),
    path("admin/", admin.site.urls),
]
