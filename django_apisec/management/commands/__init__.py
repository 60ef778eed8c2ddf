"""Management commands of django_apisec."""
