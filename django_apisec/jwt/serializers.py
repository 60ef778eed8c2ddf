"""The request bodies of the JWT session views (:mod:`django_apisec.jwt.views`)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

__all__ = [
    "LoginSerializer",
    "NoBodySerializer",
    "PasswordChangeSerializer",
    "RefreshSerializer",
]


class LoginSerializer(serializers.Serializer[Any]):
    """``{"username", "password"}``."""

    username = serializers.CharField(max_length=254, trim_whitespace=False)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, write_only=True)


class RefreshSerializer(serializers.Serializer[Any]):
    """The refresh token travels in its cookie; ``refresh`` only with body transport."""

    refresh = serializers.CharField(required=False, write_only=True)


class NoBodySerializer(serializers.Serializer[Any]):
    """No request body."""


class PasswordChangeSerializer(serializers.Serializer[Any]):
    """``{"old_password", "new_password"}``."""

    old_password = serializers.CharField(max_length=4096, trim_whitespace=False, write_only=True)
    new_password = serializers.CharField(max_length=4096, trim_whitespace=False, write_only=True)
