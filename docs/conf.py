"""Sphinx configuration for the django_apisec documentation."""

project = "django_apisec"
author = "django_apisec developers"
copyright = "2026, django_apisec developers"  # noqa: A001
extensions = []
html_theme = "furo"
html_title = "django_apisec"
exclude_patterns = ["_build"]
nitpicky = False
