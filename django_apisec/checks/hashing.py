"""Password hashing capacity (``apisec.E312``): a login flood cannot take more memory than budgeted.

Each worker process runs at most ``APISEC_HASHING_SLOTS`` password hashes at once
(:mod:`django_apisec.abuse.hashing`); each hash of the first ``PASSWORD_HASHERS`` entry allocates
its memory (Argon2's ``memory_cost``, scrypt's ``128 x r x N``). The peak a flood of logins can
cause on one host is their product with the number of worker processes, known from
``WEB_CONCURRENCY`` (gunicorn's default for ``--workers``; one process when unset).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.module_loading import import_string

from django_apisec.abuse.hashing import MIB, hash_memory, hashing_slots, worker_processes
from django_apisec.checks.registry import deploy_check, emit, error
from django_apisec.conf import apisec_settings

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

E312 = error(
    "apisec.E312",
    "Password hashing may take {total} MiB at once on this host: {per_hash} MiB per hash "
    "({path}) x {slots} hashes per process (APISEC_HASHING_SLOTS) x {workers}, above "
    "APISEC_HASHING_MEMORY_BUDGET={budget} MiB. A flood of login requests then makes the "
    "workers allocate that much, and the host swaps or kills them.",
    "Leave APISEC_HASHING_SLOTS unset (chosen within the budget) or lower it, use "
    "'django_apisec.abuse.hashing.Argon2idPasswordHasher' (19 MiB per hash) first in "
    "PASSWORD_HASHERS, or raise APISEC_HASHING_MEMORY_BUDGET to the memory the host sets "
    "aside for password hashing.",
)


def _first_hasher() -> tuple[str, Any] | None:
    hashers = getattr(settings, "PASSWORD_HASHERS", None)
    if not isinstance(hashers, (list, tuple)) or not hashers or not isinstance(hashers[0], str):
        return None
    try:
        return hashers[0], import_string(hashers[0])
    except ImportError:  # apisec.E030 reports it
        return None


@deploy_check
def check_hashing_memory(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E312: hash memory x slots x workers stays within APISEC_HASHING_MEMORY_BUDGET."""
    first = _first_hasher()
    if first is None:
        return []
    path, hasher = first
    per_hash = hash_memory(hasher)
    workers = worker_processes()
    slots = hashing_slots()
    total = per_hash * slots * (workers or 1)
    budget = apisec_settings.HASHING_MEMORY_BUDGET
    if total <= budget * MIB:
        return []
    processes = (
        f"{workers} worker processes (WEB_CONCURRENCY)"
        if workers
        else "1 worker process (WEB_CONCURRENCY unset)"
    )
    return [
        emit(
            E312,
            total=round(total / MIB),
            per_hash=round(per_hash / MIB),
            path=path,
            slots=slots,
            workers=processes,
            budget=budget,
        )
    ]
