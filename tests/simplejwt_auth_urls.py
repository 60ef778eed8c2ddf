"""A view that names simplejwt's own ``JWTAuthentication`` itself, outside the DRF defaults."""

from __future__ import annotations

from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication


class LegacyView(APIView):
    """Accepts simplejwt's own access tokens."""

    authentication_classes = [JWTAuthentication]

    def get(self, request):
        return Response({})


urlpatterns = [path("legacy/", LegacyView.as_view())]
