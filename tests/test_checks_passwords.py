"""Password checks: hashers (E025-E030) and validators (E034-W035)."""

from __future__ import annotations

import hashlib
import sys
from typing import TYPE_CHECKING, Any
from unittest import mock

import pytest
from django.contrib.auth.hashers import (
    Argon2PasswordHasher,
    BasePasswordHasher,
    PBKDF2PasswordHasher,
    PBKDF2SHA1PasswordHasher,
)
from django.contrib.auth.password_validation import MinimumLengthValidator
from django.test import override_settings

from django_apisec import dotted_paths
from django_apisec.checks import passwords
from tests.checks_support import each_insecure_setting_alone, ids_of, run_core

if TYPE_CHECKING:
    from tests.conftest import DeployIds

HERE = __name__
ARGON2 = dotted_paths.ARGON2_HASHER
MD5 = "django.contrib.auth.hashers.MD5PasswordHasher"
MIN_LENGTH = "django.contrib.auth.password_validation.MinimumLengthValidator"
COMMON = "django.contrib.auth.password_validation.CommonPasswordValidator"


# --- Hashers the tests configure by dotted path -------------------------------------------------


class SHA1Hasher(BasePasswordHasher):
    """Stands in for Django's removed SHA1PasswordHasher (still found in old projects)."""

    algorithm = "sha1"


class UnsaltedMD5Hasher(BasePasswordHasher):
    """Stands in for Django's removed UnsaltedMD5PasswordHasher."""

    algorithm = "unsalted_md5"


class CryptHasher(BasePasswordHasher):
    """Stands in for Django's removed CryptPasswordHasher."""

    algorithm = "crypt"


class OnePassArgon2Hasher(Argon2PasswordHasher):
    """One pass needs 47104 KiB (OWASP); 19456 KiB is only enough with two."""

    time_cost = 1
    memory_cost = 19456
    parallelism = 1


class OwaspMinimumArgon2Hasher(Argon2PasswordHasher):
    """Exactly OWASP's first row: m=47104 KiB, t=1, p=1."""

    time_cost = 1
    memory_cost = 47104
    parallelism = 1


class ManyPassesArgon2Hasher(Argon2PasswordHasher):
    """More than five passes: OWASP's last row (7168 KiB) applies."""

    time_cost = 8
    memory_cost = 7168
    parallelism = 1


class ZeroPassArgon2Hasher(Argon2PasswordHasher):
    """Invalid parameters: argon2 needs at least one pass and one lane."""

    time_cost = 0


class ComputedArgon2Hasher(Argon2PasswordHasher):
    """Parameters computed at run time cannot be judged statically."""

    time_cost = property(lambda self: 3)  # type: ignore[assignment]


class FewIterationsPBKDF2Hasher(PBKDF2PasswordHasher):
    """A project that lowered PBKDF2's work factor to speed up its tests, in production."""

    iterations = 100_000


class SHA1PBKDF2Hasher(PBKDF2SHA1PasswordHasher):
    """PBKDF2-SHA1 needs 1,300,000 iterations (OWASP)."""

    iterations = 1_000_000


class SHA512PBKDF2Hasher(PBKDF2PasswordHasher):
    """PBKDF2-SHA512 needs 210,000 iterations (OWASP)."""

    algorithm = "pbkdf2_sha512"
    digest = hashlib.sha512
    iterations = 210_000


class BrokenDigestPBKDF2Hasher(PBKDF2PasswordHasher):
    """A digest that cannot be inspected: judged as SHA-256."""

    algorithm = "pbkdf2_broken"
    digest = None  # type: ignore[assignment]
    iterations = 100_000


class UnknownIterationsPBKDF2Hasher(PBKDF2PasswordHasher):
    """Iterations computed at run time cannot be judged statically."""

    iterations = property(lambda self: 1)  # type: ignore[assignment]


class MissingLibraryHasher(BasePasswordHasher):
    """Declares its library as (name, module path), as BCrypt does."""

    algorithm = "missing_library"
    library = ("missing", "apisec_tests_no_such_module")


class MissingStringLibraryHasher(BasePasswordHasher):
    """Declares its library as a plain module path, as Argon2 does."""

    algorithm = "missing_string_library"
    library = "apisec_tests_no_such_module"


class LongMinimumLengthValidator(MinimumLengthValidator):
    """A project's own subclass still counts as a length validator."""

    def __init__(self, min_length: int = 16) -> None:
        super().__init__(min_length)


def path(obj: type[Any]) -> str:
    """The dotted path of a class defined in this module."""
    return f"{HERE}.{obj.__name__}"


def validators_with_min_length(min_length: int) -> list[dict[str, Any]]:
    """Django's validators with a given MinimumLengthValidator length."""
    return [
        {"NAME": MIN_LENGTH, "OPTIONS": {"min_length": min_length}},
        {"NAME": COMMON},
    ]


BREAKING_TABLE: list[Any] = [
    ({"PASSWORD_HASHERS": [MD5, ARGON2]}, "apisec.E025"),
    ({"PASSWORD_HASHERS": [path(SHA1Hasher), ARGON2]}, "apisec.E025"),
    ({"PASSWORD_HASHERS": [path(UnsaltedMD5Hasher), ARGON2]}, "apisec.E025"),
    ({"PASSWORD_HASHERS": [path(CryptHasher), ARGON2]}, "apisec.E025"),
    ({"PASSWORD_HASHERS": [ARGON2, MD5]}, "apisec.W026"),
    ({"PASSWORD_HASHERS": [path(OnePassArgon2Hasher), ARGON2]}, "apisec.E027"),
    ({"PASSWORD_HASHERS": [path(FewIterationsPBKDF2Hasher), ARGON2]}, "apisec.E028"),
    ({"PASSWORD_HASHERS": [path(MissingLibraryHasher), ARGON2]}, "apisec.E029"),
    (
        {"PASSWORD_HASHERS": [ARGON2, "django.contrib.auth.hashers.SHA1PasswordHasher"]},
        "apisec.E030",
    ),
    ({"PASSWORD_HASHERS": []}, "apisec.E030"),
    ({"AUTH_PASSWORD_VALIDATORS": []}, "apisec.E034"),
    ({"AUTH_PASSWORD_VALIDATORS": [{"NAME": COMMON}]}, "apisec.E041"),
    ({"AUTH_PASSWORD_VALIDATORS": validators_with_min_length(6)}, "apisec.E041"),
    ({"AUTH_PASSWORD_VALIDATORS": validators_with_min_length(7)}, "apisec.E041"),
    ({"AUTH_PASSWORD_VALIDATORS": validators_with_min_length(8)}, "apisec.W035"),
    ({"AUTH_PASSWORD_VALIDATORS": validators_with_min_length(11)}, "apisec.W035"),
]

test_each_insecure_setting_alone = each_insecure_setting_alone(BREAKING_TABLE)


def test_argon2_without_its_library(deploy_ids: DeployIds) -> None:
    baseline = deploy_ids()
    # None in sys.modules makes `import argon2` fail as if argon2-cffi were not installed.
    with mock.patch.dict(sys.modules, {"argon2": None}):
        assert deploy_ids() - baseline == {"apisec.E029"}


# --- Password hashers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hashers", "text"),
    [
        ("django.contrib.auth.hashers.Argon2PasswordHasher", "it is str, not a list"),
        ([ARGON2, 42], "42 is not a dotted path"),
        ([ARGON2, "nodots"], "'nodots' cannot be imported (ImportError"),
        ([ARGON2, "no_such_module.Hasher"], "ModuleNotFoundError"),
        ([ARGON2, "django.contrib.auth.hashers.make_password"], "is not a class"),
        ([ARGON2, "django.contrib.auth.hashers.BasePasswordHasher"], "does not name an algorithm"),
    ],
)
def test_unloadable_hashers(hashers: object, text: str) -> None:
    with override_settings(PASSWORD_HASHERS=hashers):
        (message,) = passwords.check_password_hashers_load()
        # The other hasher checks judge what loads and never raise on the rest.
        assert isinstance(run_core(), list)
    assert text in message.msg


def test_unloadable_first_hasher_is_reported_once() -> None:
    ids = ids_of(PASSWORD_HASHERS=["no_such_module.Hasher", MD5])
    assert "apisec.E030" in ids
    assert {"apisec.E025", "apisec.W026", "apisec.E029"} & ids == set()


def test_weak_fallbacks_each_reported() -> None:
    hashers = [ARGON2, MD5, path(SHA1Hasher), "no_such_module.Hasher"]
    with override_settings(PASSWORD_HASHERS=hashers):
        messages = passwords.check_fallback_hashers()
    assert [m.id for m in messages] == ["apisec.W026", "apisec.W026"]
    assert "(sha1)" in messages[1].msg


@pytest.mark.parametrize(
    ("hasher", "text"),
    [
        (OnePassArgon2Hasher, "at least 47104 KiB needed with 1 passes"),
        (ZeroPassArgon2Hasher, "time_cost=0"),
        (OwaspMinimumArgon2Hasher, None),
        (ManyPassesArgon2Hasher, None),
        (ComputedArgon2Hasher, None),
        (Argon2PasswordHasher, None),
    ],
)
def test_argon2_parameters(hasher: type[Any], text: str | None) -> None:
    hasher_path = f"{hasher.__module__}.{hasher.__qualname__}"
    with override_settings(PASSWORD_HASHERS=[hasher_path]):
        messages = passwords.check_argon2_parameters()
    assert [m.msg for m in messages if text and text in m.msg] == [m.msg for m in messages]
    assert len(messages) == (1 if text else 0)


@pytest.mark.parametrize(
    ("hasher", "text"),
    [
        (FewIterationsPBKDF2Hasher, "PBKDF2-SHA256 with 100,000 iterations"),
        (SHA1PBKDF2Hasher, "minimum of 1,300,000"),
        (BrokenDigestPBKDF2Hasher, "minimum of 600,000"),
        (SHA512PBKDF2Hasher, None),
        (UnknownIterationsPBKDF2Hasher, None),
        (PBKDF2PasswordHasher, None),
    ],
)
def test_pbkdf2_iterations(hasher: type[Any], text: str | None) -> None:
    hasher_path = f"{hasher.__module__}.{hasher.__qualname__}"
    with override_settings(PASSWORD_HASHERS=[hasher_path]):
        messages = passwords.check_pbkdf2_iterations()
    assert len(messages) == (1 if text else 0)
    assert all(text and text in m.msg for m in messages)


@pytest.mark.parametrize(
    ("hasher", "library"),
    [
        (path(MissingLibraryHasher), "apisec_tests_no_such_module"),
        (path(MissingStringLibraryHasher), "apisec_tests_no_such_module"),
        (MD5, None),
        (ARGON2, None),
    ],
)
def test_first_hasher_library(hasher: str, library: str | None) -> None:
    with override_settings(PASSWORD_HASHERS=[hasher]):
        messages = passwords.check_first_hasher_library()
    assert [library in m.msg for m in messages] == ([True] if library else [])


def test_hasher_checks_skip_an_empty_list() -> None:
    with override_settings(PASSWORD_HASHERS=[]):
        assert passwords.check_first_hasher_strength() == []
        assert passwords.check_first_hasher_library() == []
        assert passwords.check_fallback_hashers() == []


# --- Password validators -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("validators", "ids"),
    [
        ("not a list", {"apisec.E034"}),
        (None, {"apisec.E034"}),
        # Without a length validator Django accepts any length: below the 8-character floor.
        ([{"NAME": COMMON}, "junk", {"NAME": 5}, {"NAME": "no_such.Validator"}], {"apisec.E041"}),
        ([{"NAME": MIN_LENGTH, "OPTIONS": {"bogus": 1}}], {"apisec.E041"}),
        ([{"NAME": MIN_LENGTH, "OPTIONS": {"min_length": "twelve"}}], {"apisec.E041"}),
        ([{"NAME": "django.contrib.auth.password_validation.validate_password"}], {"apisec.E041"}),
        ([{"NAME": MIN_LENGTH, "OPTIONS": {"min_length": 0}}], {"apisec.E041"}),
        ([{"NAME": MIN_LENGTH}], {"apisec.W035"}),
        ([{"NAME": MIN_LENGTH, "OPTIONS": None}], {"apisec.W035"}),
        ([{"NAME": MIN_LENGTH, "OPTIONS": {"min_length": 12}}], set()),
        ([{"NAME": path(LongMinimumLengthValidator)}], set()),
        (validators_with_min_length(8) + validators_with_min_length(14), set()),
    ],
)
def test_password_validators(validators: object, ids: set[str]) -> None:
    with override_settings(AUTH_PASSWORD_VALIDATORS=validators):
        found = {
            m.id
            for m in passwords.check_password_validators()
            + passwords.check_password_minimum_length()
        }
    assert found == ids


def test_minimum_length_reason() -> None:
    with override_settings(AUTH_PASSWORD_VALIDATORS=validators_with_min_length(10)):
        (message,) = passwords.check_password_minimum_length()
    assert "requires only 10 characters (at least 12)" in message.msg
    with override_settings(AUTH_PASSWORD_VALIDATORS=validators_with_min_length(6)):
        (message,) = passwords.check_password_minimum_length()
    assert "requires only 6 characters (at least 8)" in message.msg
    assert "NIST SP 800-63B" in message.msg


# The startproject case: validators set in settings.py are never replaced by harden()'s, so the
# hint says to delete them; validators that came from harden() need no such advice.
SHADOWED_HINT = "settings.py sets AUTH_PASSWORD_VALIDATORS itself"


@pytest.mark.parametrize(
    ("validators", "check", "expected"),
    [
        ([], passwords.check_password_validators, "apisec.E034"),
        ([{"NAME": COMMON}], passwords.check_password_minimum_length, "apisec.E041"),
        ([{"NAME": MIN_LENGTH}], passwords.check_password_minimum_length, "apisec.W035"),
    ],
)
@pytest.mark.parametrize("source", ["project", "profile"])
def test_validators_set_in_settings_py_are_named_in_the_hint(
    validators: list[Any], check: Any, expected: str, source: str
) -> None:
    report = {"AUTH_PASSWORD_VALIDATORS": source}
    with override_settings(AUTH_PASSWORD_VALIDATORS=validators, APISEC_HARDENING_REPORT=report):
        (message,) = check()
    assert message.id == expected
    assert (SHADOWED_HINT in message.hint) is (source == "project")
    assert "'min_length': 12" in message.hint
