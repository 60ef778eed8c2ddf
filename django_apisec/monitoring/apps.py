"""App configuration of the monitoring capability: connects its receivers."""

from __future__ import annotations

from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """``django_apisec.monitoring``: metrics and the attack detector."""

    name = "django_apisec.monitoring"
    label = "apisec_monitoring"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "API security monitoring"

    def ready(self) -> None:
        """Count every security event, feed failed logins to the detector, keep the series."""
        from django_apisec.abuse.hashing import hashing_slots  # noqa: PLC0415
        from django_apisec.monitoring import detector, metrics, series  # noqa: PLC0415
        from django_apisec.signals import hashing_slots_changed, security_event  # noqa: PLC0415

        security_event.connect(
            metrics.count_event, dispatch_uid="django_apisec.monitoring.metrics.count_event"
        )
        security_event.connect(
            detector.observe_event, dispatch_uid="django_apisec.monitoring.detector.observe_event"
        )
        security_event.connect(
            series.observe_event, dispatch_uid="django_apisec.monitoring.series.observe_event"
        )
        hashing_slots_changed.connect(
            metrics.count_hashing_slots,
            dispatch_uid="django_apisec.monitoring.metrics.count_hashing_slots",
        )
        # This process's number of slots from the start (settings are complete by now).
        metrics.count_hashing_slots(busy=0, slots=hashing_slots())
