"""gunicorn configuration of :func:`django_apisec.testing.server.serve` (``--config python:...``).

gunicorn reads every module-level name here that matches one of its settings and ignores the
others, so only settings and hooks live here.
"""

from __future__ import annotations

import os
from typing import Any

# gunicorn 24+ opens a control socket in ~/.gunicorn shared by every instance on the machine;
# concurrent test runs must not fight over it. Older versions do not know the setting and skip it.
control_socket_disable = True


def post_worker_init(worker: Any) -> None:
    """Log that this worker has loaded the application: the harness's readiness signal.

    A uvicorn worker (``uvicorn_worker.UvicornWorker``) builds its uvicorn ``Config`` before this
    hook and loads it after: its ``Server: uvicorn`` banner is turned off here.
    """
    config = getattr(worker, "config", None)
    if config is not None and hasattr(config, "server_header"):
        config.server_header = False
    worker.log.info("apisec-harness: worker %s ready", worker.pid)


def child_exit(server: Any, worker: Any) -> None:  # noqa: ARG001 (gunicorn's signature)
    """Under ``PROMETHEUS_MULTIPROC_DIR``, drop a dead worker's live gauges (prometheus_client)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess  # noqa: PLC0415

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
