"""Password checks (``apisec.E0xx`` / ``apisec.W0xx``, Django core): hashers and validators.

This module holds apisec.E025-E030 (PASSWORD_HASHERS: they load, their libraries import, the
first is a slow hash with OWASP's work factors, no fast digest stays as a fallback) and
apisec.E034-W035 and E041 (AUTH_PASSWORD_VALIDATORS, with a minimum length of at least 8
characters, better 12).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher, PBKDF2PasswordHasher
from django.contrib.auth.password_validation import MinimumLengthValidator
from django.utils.module_loading import import_string

from django_apisec.checks.core import as_int, shadowing
from django_apisec.checks.registry import config_check, deploy_check, emit, error, warning

if TYPE_CHECKING:
    from django.core.checks import CheckMessage

E025 = error(
    "apisec.E025",
    "The first of PASSWORD_HASHERS, {path}, uses {algorithm}: new password hashes can be "
    "cracked at billions of guesses per second once the database leaks.",
    "Put 'django.contrib.auth.hashers.Argon2PasswordHasher' first; keep {path} after it only "
    "while old hashes remain (they are upgraded at the next login).",
)
W026 = warning(
    "apisec.W026",
    "PASSWORD_HASHERS still accepts {path} ({algorithm}): hashes of users who have not logged "
    "in since the change stay crackable.",
    "Once the old hashes are gone (or upgraded by wrapping them, see Django's 'Password "
    "upgrading without requiring a login'), remove {path}.",
)
E027 = error(
    "apisec.E027",
    "{path} uses Argon2 with {reason}, below OWASP's minimum: new password hashes are cheaper "
    "to crack than they should be.",
    "Use at least one of OWASP's Argon2id settings: memory_cost=47104 time_cost=1, 19456/2, "
    "12288/3, 9216/4 or 7168/5 (KiB/passes), parallelism >= 1; Django's defaults "
    "(102400/2/8) are above it.",
)
E028 = error(
    "apisec.E028",
    "{path} uses PBKDF2-{digest} with {iterations} iterations, below OWASP's minimum of "
    "{minimum}: new password hashes are cheaper to crack than they should be.",
    "Use Django's PBKDF2PasswordHasher with its default iterations, or better, put "
    "'django.contrib.auth.hashers.Argon2PasswordHasher' first.",
)
E029 = error(
    "apisec.E029",
    "The first of PASSWORD_HASHERS, {path}, needs the {library!r} module, which cannot be "
    "imported: every login and password change fails with an exception.",
    "Install it (pip install argon2-cffi for Argon2, pip install bcrypt for BCrypt), or put a "
    "hasher first whose library is installed.",
)
E030 = error(
    "apisec.E030",
    "PASSWORD_HASHERS cannot be loaded: {reason}. Django loads every hasher on the first "
    "password check, so every login and password change fails with an exception.",
    "Make PASSWORD_HASHERS a non-empty list of importable hasher class paths, e.g. "
    "['django.contrib.auth.hashers.Argon2PasswordHasher', "
    "'django.contrib.auth.hashers.PBKDF2PasswordHasher'].",
)
E034 = error(
    "apisec.E034",
    "AUTH_PASSWORD_VALIDATORS {reason}: any password, even '1', is accepted, and accounts "
    "fall to the first guesses of a credential-stuffing or brute-force attack.",
    "{shadowing}Set AUTH_PASSWORD_VALIDATORS to Django's four validators with "
    "MinimumLengthValidator OPTIONS {{'min_length': 12}}; harden() does.",
)
W035 = warning(
    "apisec.W035",
    "AUTH_PASSWORD_VALIDATORS {reason}: short passwords are accepted.",
    "{shadowing}Add {{'NAME': 'django.contrib.auth.password_validation.MinimumLengthValidator', "
    "'OPTIONS': {{'min_length': 12}}}} to AUTH_PASSWORD_VALIDATORS.",
)
E041 = error(
    "apisec.E041",
    "AUTH_PASSWORD_VALIDATORS {reason}: passwords shorter than 8 characters are accepted, "
    "below the floor of NIST SP 800-63B and OWASP ASVS 5.0 (V6.2.1), and they fall to the "
    "first rounds of online guessing and offline cracking.",
    "{shadowing}Add {{'NAME': 'django.contrib.auth.password_validation.MinimumLengthValidator', "
    "'OPTIONS': {{'min_length': 12}}}} to AUTH_PASSWORD_VALIDATORS.",
)

WEAK_HASH_ALGORITHMS = {"md5", "sha1", "unsalted_md5", "unsalted_sha1", "crypt"}
# OWASP Password Storage Cheat Sheet: Argon2id memory (KiB) needed for each number of passes.
ARGON2_MIN_MEMORY_KIB = {1: 47104, 2: 19456, 3: 12288, 4: 9216, 5: 7168}
# OWASP Password Storage Cheat Sheet: PBKDF2 iterations per HMAC digest.
PBKDF2_MIN_ITERATIONS = {"sha1": 1_300_000, "sha256": 600_000, "sha512": 210_000}
MIN_PASSWORD_LENGTH = 12
# NIST SP 800-63B and ASVS 5.0 V6.2.1: below this a length requirement is an error, not advice.
PASSWORD_LENGTH_FLOOR = 8
VALIDATORS_WRITTEN = "startproject writes Django's four validators, with an 8-character minimum"


# --- Password hashers -----------------------------------------------------------------------


def _load_hasher(path: Any) -> type[Any] | str:
    """The hasher class at ``path``, or why Django cannot load it."""
    if not isinstance(path, str):
        return f"{path!r} is not a dotted path"
    try:
        hasher = import_string(path)
    except Exception as exc:  # noqa: BLE001 - importing project code may raise anything
        return f"{path!r} cannot be imported ({type(exc).__name__}: {exc})"
    if not isinstance(hasher, type):
        return f"{path!r} is not a class"
    if not getattr(hasher, "algorithm", None):
        return f"{path!r} does not name an algorithm"
    return hasher


def _hashers() -> list[tuple[str, type[Any]]]:
    """``(path, class)`` of every loadable entry of PASSWORD_HASHERS, in order."""
    value = getattr(settings, "PASSWORD_HASHERS", [])
    if not isinstance(value, (list, tuple)):
        return []
    loaded = [(path, _load_hasher(path)) for path in value]
    return [(path, hasher) for path, hasher in loaded if isinstance(hasher, type)]


def _first_hasher() -> tuple[str, type[Any]] | None:
    value = getattr(settings, "PASSWORD_HASHERS", [])
    if not isinstance(value, (list, tuple)) or not value:
        return None
    hasher = _load_hasher(value[0])
    return (value[0], hasher) if isinstance(hasher, type) else None


def _weak_algorithm(hasher: type[Any]) -> str | None:
    algorithm = getattr(hasher, "algorithm", None)
    if isinstance(algorithm, str) and algorithm.lower() in WEAK_HASH_ALGORITHMS:
        return algorithm
    return None


@config_check
def check_password_hashers_load(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E030: every entry of PASSWORD_HASHERS must import as a hasher class."""
    value = getattr(settings, "PASSWORD_HASHERS", [])
    if not isinstance(value, (list, tuple)):
        return [emit(E030, reason=f"it is {type(value).__name__}, not a list")]
    if not value:
        return [emit(E030, reason="it is empty")]
    reasons = [_load_hasher(path) for path in value]
    return [emit(E030, reason=reason) for reason in reasons if isinstance(reason, str)]


@deploy_check
def check_first_hasher_strength(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E025: the hasher that creates new hashes must not be a fast digest."""
    first = _first_hasher()
    if first is None:
        return []
    path, hasher = first
    algorithm = _weak_algorithm(hasher)
    return [emit(E025, path=path, algorithm=algorithm)] if algorithm else []


@deploy_check
def check_fallback_hashers(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.W026: fast digests should not stay accepted as fallbacks."""
    messages = []
    for path, hasher in _hashers()[1:]:
        algorithm = _weak_algorithm(hasher)
        if algorithm:
            messages.append(emit(W026, path=path, algorithm=algorithm))
    return messages


def _argon2_problem(hasher: type[Any]) -> str | None:
    time_cost = as_int(getattr(hasher, "time_cost", None))
    memory_cost = as_int(getattr(hasher, "memory_cost", None))
    parallelism = as_int(getattr(hasher, "parallelism", None))
    if time_cost is None or memory_cost is None or parallelism is None:
        return None  # computed at run time: nothing to judge here
    if time_cost < 1 or parallelism < 1:
        return f"time_cost={time_cost} and parallelism={parallelism} (both must be >= 1)"
    needed = ARGON2_MIN_MEMORY_KIB[min(time_cost, max(ARGON2_MIN_MEMORY_KIB))]
    if memory_cost < needed:
        return (
            f"memory_cost={memory_cost} KiB and time_cost={time_cost} (at least {needed} KiB "
            f"needed with {time_cost} passes)"
        )
    return None


@deploy_check
def check_argon2_parameters(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E027: a first Argon2 hasher must meet OWASP's memory/time minimum."""
    first = _first_hasher()
    if first is None or not issubclass(first[1], Argon2PasswordHasher):
        return []
    reason = _argon2_problem(first[1])
    return [emit(E027, path=first[0], reason=reason)] if reason else []


def _pbkdf2_digest(hasher: type[Any]) -> str:
    try:
        return str(hasher.digest().name).lower()
    except (AttributeError, TypeError, ValueError):
        return "sha256"


@deploy_check
def check_pbkdf2_iterations(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E028: a first PBKDF2 hasher must meet OWASP's iteration minimum."""
    first = _first_hasher()
    if first is None or not issubclass(first[1], PBKDF2PasswordHasher):
        return []
    path, hasher = first
    iterations = as_int(getattr(hasher, "iterations", None))
    digest = _pbkdf2_digest(hasher)
    minimum = PBKDF2_MIN_ITERATIONS.get(digest, PBKDF2_MIN_ITERATIONS["sha256"])
    if iterations is None or iterations >= minimum:
        return []
    return [
        emit(
            E028,
            path=path,
            digest=digest.upper(),
            iterations=f"{iterations:,}",
            minimum=f"{minimum:,}",
        )
    ]


@config_check
def check_first_hasher_library(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E029: the library of the first hasher (argon2-cffi, bcrypt) must import."""
    first = _first_hasher()
    if first is None:
        return []
    path, hasher = first
    library = getattr(hasher, "library", None)
    # As BasePasswordHasher._load_library: a module path, or a (name, module path) pair.
    if isinstance(library, (tuple, list)) and len(library) == 2:
        library = library[1]
    if not isinstance(library, str):
        return []
    try:
        importlib.import_module(library)
    except ImportError:
        return [emit(E029, path=path, library=library)]
    return []


# --- Password validators --------------------------------------------------------------------


def _validators() -> list[Any] | None:
    value = getattr(settings, "AUTH_PASSWORD_VALIDATORS", [])
    return list(value) if isinstance(value, (list, tuple)) else None


@deploy_check
def check_password_validators(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E034: passwords must be validated."""
    validators = _validators()
    if validators is None:
        value = getattr(settings, "AUTH_PASSWORD_VALIDATORS", [])
        reason = f"is {type(value).__name__}, not a list of validators"
    elif not validators:
        reason = "is empty"
    else:
        return []
    return [emit(E034, reason=reason, shadowing=_validators_shadowing())]


def _validators_shadowing() -> str:
    return shadowing("AUTH_PASSWORD_VALIDATORS", VALIDATORS_WRITTEN)


def _minimum_length(entry: Any) -> int | None:
    """The min_length a validator entry enforces, or ``None`` if it is no length validator."""
    if not isinstance(entry, Mapping) or not isinstance(entry.get("NAME"), str):
        return None
    try:
        validator = import_string(entry["NAME"])
        if not (isinstance(validator, type) and issubclass(validator, MinimumLengthValidator)):
            return None
        options = entry.get("OPTIONS") or {}
        return as_int(validator(**options).min_length)
    except Exception:  # noqa: BLE001 - project validators may raise anything; Django reports it
        return None


@deploy_check
def check_password_minimum_length(**_kwargs: Any) -> list[CheckMessage]:
    """apisec.E041, W035: passwords must be at least 8 characters long, better 12."""
    validators = _validators()
    if not validators:
        return []  # apisec.E034
    lengths = [n for n in map(_minimum_length, validators) if n is not None]
    longest = max(lengths, default=None)
    if longest is None:
        return [
            emit(E041, reason="has no MinimumLengthValidator", shadowing=_validators_shadowing())
        ]
    if longest < PASSWORD_LENGTH_FLOOR:
        reason = f"requires only {longest} characters (at least {PASSWORD_LENGTH_FLOOR})"
        return [emit(E041, reason=reason, shadowing=_validators_shadowing())]
    if longest < MIN_PASSWORD_LENGTH:
        reason = f"requires only {longest} characters (at least {MIN_PASSWORD_LENGTH})"
        return [emit(W035, reason=reason, shadowing=_validators_shadowing())]
    return []
