"""Object ownership: the owned-queryset mixin, ownership permissions, strict serializers."""
