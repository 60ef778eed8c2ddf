"""Security monitoring: Prometheus metrics, the attack detector, the admin's security page.

Add ``"django_apisec.monitoring"`` to ``INSTALLED_APPS`` (after ``"django_apisec"``) and install
the ``metrics`` extra (``prometheus_client``). Everything here observes what the other
capabilities record through :data:`~django_apisec.signals.security_event`; nothing below it
imports it, and no enforcement depends on it (the detector's tightening is read by the login
throttle from the store, see :mod:`django_apisec.monitoring.detector`). With
``django.contrib.admin`` installed, :mod:`django_apisec.monitoring.admin` adds the security page
(per-minute series in the store, :mod:`django_apisec.monitoring.series`).
"""
