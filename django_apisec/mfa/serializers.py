"""The request bodies of the MFA, step-up and enrolment views."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

__all__ = ["CodeSerializer", "MFAVerifySerializer", "ReauthSerializer"]

CODE_LENGTH = 64


class _FactorFields(serializers.Serializer[Any]):
    """A TOTP ``code`` or a ``recovery_code`` (not both)."""

    code = serializers.CharField(max_length=CODE_LENGTH, required=False, write_only=True)
    recovery_code = serializers.CharField(max_length=CODE_LENGTH, required=False, write_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """At most one factor per request."""
        if attrs.get("code") and attrs.get("recovery_code"):
            raise serializers.ValidationError("Send a code or a recovery code, not both.")
        return attrs


class MFAVerifySerializer(_FactorFields):
    """``{"mfa_token", "code"}`` or ``{"mfa_token", "recovery_code"}``."""

    mfa_token = serializers.CharField(max_length=128, write_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Exactly one factor."""
        attrs = super().validate(attrs)
        if not attrs.get("code") and not attrs.get("recovery_code"):
            raise serializers.ValidationError({"code": ["This field is required."]})
        return attrs


class ReauthSerializer(_FactorFields):
    """``{"password"}``, plus ``"code"`` or ``"recovery_code"`` when MFA is on."""

    password = serializers.CharField(max_length=4096, trim_whitespace=False, write_only=True)


class CodeSerializer(serializers.Serializer[Any]):
    """``{"code"}``: the first code of a new TOTP device."""

    code = serializers.CharField(max_length=CODE_LENGTH, write_only=True)
