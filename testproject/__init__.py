"""Reference deployment of django_apisec: a small notes/projects/tasks API."""
