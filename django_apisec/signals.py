"""Signals django_apisec sends. Receivers observe; enforcement never depends on them.

Every signal is sent with keyword arguments only; they are documented in ``docs/signals.rst``.
"""

from __future__ import annotations

from django.dispatch import Signal

#: An ownership bypass policy let a request see objects it does not own.
#: Arguments: ``request`` (the DRF request), ``view`` (the view instance), ``policy`` (the
#: :class:`~django_apisec.ownership.OwnerBypass` instance that applied), ``user``.
owner_bypass_used = Signal()

#: A security event was recorded (see :func:`django_apisec.events.record`); sent after the log
#: record is written. Arguments: ``event`` (the :class:`~django_apisec.events.SecurityEvent`:
#: ``type``, ``outcome``, ``time``, ``request_id``, ``client_ip``, ``user_id``, ``path``,
#: ``method``, ``fields``), ``request`` (the request or ``None``), ``user`` (the user the event is
#: about, or ``None``). The sender is :class:`~django_apisec.events.SecurityEvent`.
security_event = Signal()
