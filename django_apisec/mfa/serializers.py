"""The request bodies of the MFA, step-up and enrolment views."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

__all__ = [
    "CodeSerializer",
    "MFATokenSerializer",
    "MFAVerifySerializer",
    "PasskeyCredentialSerializer",
    "PasskeyNameSerializer",
    "PasskeyRegistrationSerializer",
    "ReauthSerializer",
]

CODE_LENGTH = 64
FACTORS = ("code", "recovery_code", "credential")


class _FactorFields(serializers.Serializer[Any]):
    """A TOTP ``code``, a ``recovery_code`` or a passkey ``credential`` (one of them)."""

    code = serializers.CharField(max_length=CODE_LENGTH, required=False, write_only=True)
    recovery_code = serializers.CharField(max_length=CODE_LENGTH, required=False, write_only=True)
    credential = serializers.DictField(required=False, write_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """At most one factor per request."""
        if sum(1 for name in FACTORS if attrs.get(name)) > 1:
            raise serializers.ValidationError(
                "Send one factor: a code, a recovery code or a passkey credential."
            )
        return attrs


class MFAVerifySerializer(_FactorFields):
    """``{"mfa_token"}`` and one of ``"code"``, ``"recovery_code"``, ``"credential"``."""

    mfa_token = serializers.CharField(max_length=128, write_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Exactly one factor."""
        attrs = super().validate(attrs)
        if not any(attrs.get(name) for name in FACTORS):
            raise serializers.ValidationError({"code": ["This field is required."]})
        return attrs


class ReauthSerializer(_FactorFields):
    """``{"password"}``, plus ``"code"``, ``"recovery_code"`` or ``"credential"`` with MFA."""

    password = serializers.CharField(max_length=4096, trim_whitespace=False, write_only=True)


class CodeSerializer(serializers.Serializer[Any]):
    """``{"code"}``: the first code of a new TOTP device."""

    code = serializers.CharField(max_length=CODE_LENGTH, write_only=True)


class MFATokenSerializer(serializers.Serializer[Any]):
    """``{"mfa_token"}``: the password step's token, to start a passkey second step."""

    mfa_token = serializers.CharField(max_length=128, write_only=True)


class PasskeyCredentialSerializer(serializers.Serializer[Any]):
    """``{"credential"}``: the browser's ``navigator.credentials.get()`` answer (JSON)."""

    credential = serializers.DictField(write_only=True)


class PasskeyNameSerializer(serializers.Serializer[Any]):
    """``{"name"}``: what the user calls a passkey."""

    name = serializers.CharField(max_length=100)


class PasskeyRegistrationSerializer(serializers.Serializer[Any]):
    """``{"credential", "name"?}``: the answer of ``navigator.credentials.create()``."""

    credential = serializers.DictField(write_only=True)
    name = serializers.CharField(max_length=100, required=False, default="Passkey")
