"""``manage.py apisec_settings``."""
