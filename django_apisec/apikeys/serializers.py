"""Serializers of the key management endpoints: the key text appears in the create response only."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import serializers

from django_apisec.apikeys.keys import issue_key, normalise_networks
from django_apisec.conf import apisec_settings
from django_apisec.models import APIKey
from django_apisec.ownership.serializers import StrictFieldsMixin

MAX_SCOPES = 64
MAX_NETWORKS = 64


class ApiKeySerializer(StrictFieldsMixin, serializers.ModelSerializer[APIKey]):
    """A key as its owner lists it: never its secret nor its hash."""

    class Meta:
        model = APIKey
        fields = [
            "id",
            "name",
            "prefix",
            "scopes",
            "expires_at",
            "allowed_ips",
            "created_at",
            "last_used_at",
            "revoked",
        ]
        read_only_fields = fields


class ApiKeyCreateSerializer(StrictFieldsMixin, serializers.ModelSerializer[APIKey]):
    """``{"name", "scopes", "expires_at"?, "allowed_ips"?}`` -> the key, with ``key`` shown once."""

    scopes = serializers.ListField(
        child=serializers.CharField(max_length=100), max_length=MAX_SCOPES
    )
    allowed_ips = serializers.ListField(
        child=serializers.CharField(max_length=64), max_length=MAX_NETWORKS, required=False
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    key = serializers.SerializerMethodField()

    class Meta:
        model = APIKey
        fields = [
            "id",
            "name",
            "prefix",
            "key",
            "scopes",
            "expires_at",
            "allowed_ips",
            "created_at",
        ]
        read_only_fields = ["id", "prefix", "key", "created_at"]

    def get_key(self, key: APIKey) -> str | None:
        """The key text, present only on the instance :func:`issue_key` just made."""
        return getattr(key, "raw_key", None)

    def validate_scopes(self, value: list[str]) -> list[str]:
        """Every scope must be one of ``APISEC_API_KEY_SCOPES``."""
        unknown = sorted(set(value) - apisec_settings.API_KEY_SCOPES)
        if unknown:
            raise serializers.ValidationError(f"Unknown scopes: {', '.join(unknown)}.")
        return value

    def validate_allowed_ips(self, value: list[str]) -> list[str]:
        """IP networks (``203.0.113.0/24``) or addresses."""
        try:
            return normalise_networks(value)
        except ValueError as exc:
            raise serializers.ValidationError(
                "Each entry must be an IP network or address."
            ) from exc

    def validate_expires_at(self, value: Any) -> Any:
        """An expiry in the future (a key that expired at creation is a mistake)."""
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("The expiry must be in the future.")
        return value

    def create(self, validated_data: dict[str, Any]) -> APIKey:
        """Issue the key for the requester (the view passes ``user``)."""
        request = self.context.get("request")
        key, raw = issue_key(
            validated_data["user"],
            name=validated_data["name"],
            scopes=validated_data["scopes"],
            expires_at=validated_data.get("expires_at"),
            allowed_ips=validated_data.get("allowed_ips", ()),
            request=request,
        )
        key.raw_key = raw  # type: ignore[attr-defined]
        return key
