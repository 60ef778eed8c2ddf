"""CORS checks (``apisec.E3xx`` / ``apisec.W3xx``) for django-cors-headers 4.x.

django-cors-headers reports settings of the wrong type itself (``corsheaders.E0xx``); these checks
skip such values silently and judge only what the middleware would actually do with the rest.
Settings are read like django-cors-headers reads them: the current name first, then its legacy
alias (``CORS_ORIGIN_ALLOW_ALL``, ``CORS_ORIGIN_WHITELIST``, ``CORS_ORIGIN_REGEX_WHITELIST``).
A plain-http origin is an error in the production profile (``APISEC_PROFILE``) whatever the
credentials setting (apisec.E311); in development it is only a warning without credentials.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, urlsplit

from django.conf import settings

from django_apisec.checks.registry import deploy_check, emit, error, warning
from django_apisec.conf import apisec_settings
from django_apisec.dotted_paths import COMMON_MIDDLEWARE, CORS_MIDDLEWARE

if TYPE_CHECKING:
    from collections.abc import Iterator

    from django.core.checks import CheckMessage

E301 = error(
    "apisec.E301",
    "CORS_ALLOW_ALL_ORIGINS and CORS_ALLOW_CREDENTIALS are both on: any web site a signed-in "
    "user visits can send credentialed requests to the API and read the responses.",
    "List the front-end origins in CORS_ALLOWED_ORIGINS (e.g. ['https://app.example.com']) "
    "and set CORS_ALLOW_ALL_ORIGINS = False.",
)
W302 = warning(
    "apisec.W302",
    "CORS_ALLOW_ALL_ORIGINS is on: any web site can read the API's responses from its visitors' "
    "browsers (including responses that depend on their network position).",
    "List the front-end origins in CORS_ALLOWED_ORIGINS and set CORS_ALLOW_ALL_ORIGINS = False; "
    "keep allow-all only for a deliberately public, read-only API.",
)
E303 = error(
    "apisec.E303",
    "CORS_ALLOWED_ORIGIN_REGEXES entry {pattern!r} is not anchored at the end: it also matches "
    "origins that merely start like an allowed one, e.g. an attacker's "
    "'https://app.example.com.attacker.net'.",
    "End every alternative of the regex with $ or \\Z, e.g. r'^https://app\\.example\\.com$'.",
)
W304 = warning(
    "apisec.W304",
    "CORS_ALLOWED_ORIGIN_REGEXES entry {pattern!r} has an unescaped '.' in its host part: it "
    "matches any character there, so a look-alike domain (e.g. 'appxexample.com') is allowed.",
    "Escape literal dots in host names: write \\. (e.g. r'^https://app\\.example\\.com$').",
)
E305 = error(
    "apisec.E305",
    "CORS_ALLOWED_ORIGINS trusts {origin!r} over plain http while CORS_ALLOW_CREDENTIALS is on: "
    "a network attacker who injects script into that http page can make credentialed requests "
    "and read the responses.",
    "Serve the front end over https and list it as 'https://...'; plain http is acceptable only "
    "for localhost, 127.0.0.1 and [::1].",
)
W306 = warning(
    "apisec.W306",
    "CORS_ALLOWED_ORIGINS trusts {origin!r} over plain http: a network attacker who injects "
    "script into that page can read the API's responses.",
    "Serve the front end over https and list it as 'https://...'; plain http is acceptable only "
    "for localhost, 127.0.0.1 and [::1].",
)
E307 = error(
    "apisec.E307",
    "CORS trusts the 'null' origin ({source}): sandboxed iframes, data: URLs and local files "
    "of any site send Origin: null, so any attacker can read the API's responses.",
    "Remove 'null' from CORS_ALLOWED_ORIGINS and make sure no entry of "
    "CORS_ALLOWED_ORIGIN_REGEXES matches it.",
)
E308 = error(
    "apisec.E308",
    "CORS is configured but corsheaders.middleware.CorsMiddleware is not in MIDDLEWARE: no CORS "
    "header is ever sent, and the allowlist is not what the deployment enforces.",
    "Add 'corsheaders.middleware.CorsMiddleware' to MIDDLEWARE, right after "
    "SecurityMiddleware (harden() does this).",
)
E309 = error(
    "apisec.E309",
    "corsheaders.middleware.CorsMiddleware comes after {other} in MIDDLEWARE: responses that "
    "middleware answers itself (redirects, static files) carry no CORS headers.",
    "Move 'corsheaders.middleware.CorsMiddleware' above {other}, right after SecurityMiddleware.",
)
W310 = warning(
    "apisec.W310",
    "CORS_ALLOW_PRIVATE_NETWORK is on: public web sites allowed by CORS may reach this server "
    "when it runs on a private network (Private Network Access).",
    "Set CORS_ALLOW_PRIVATE_NETWORK = False unless a public site must call this API on an "
    "intranet or localhost, and then keep the origin allowlist minimal.",
)

E311 = error(
    "apisec.E311",
    "{what} in the production profile: a network attacker who controls that origin's traffic "
    "(public Wi-Fi, a hostile network) injects script into its page and reads every response "
    "the API gives it, the signed-in user's data and tokens included.",
    "Serve the front end over https and allow only 'https://...' origins (an origin regex must "
    "not match 'http://'); http://localhost origins belong to the development profile only.",
)

# Middleware that can answer a request themselves, before an inner CorsMiddleware would run.
ANSWERING_MIDDLEWARE = (
    COMMON_MIDDLEWARE,
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
NULL_ORIGIN = "null"
# How a pattern spells the "://" after the scheme, escaped or not (longest first).
SCHEME_SEPARATORS = (r"\:\/\/", r":\/\/", r"\://", "://")
# After these a "." is an intended wildcard (".*", ".+"), not a forgotten escape.
QUANTIFIERS = frozenset("*+?{")


def _cors_setting(name: str, legacy: str, default: Any) -> Any:
    return getattr(settings, name, getattr(settings, legacy, default))


def allowed_origins() -> list[str]:
    """The string entries of ``CORS_ALLOWED_ORIGINS`` (other types: see ``corsheaders.E006``)."""
    value = _cors_setting("CORS_ALLOWED_ORIGINS", "CORS_ORIGIN_WHITELIST", ())
    if not isinstance(value, (list, tuple)):
        return []
    return [origin for origin in value if isinstance(origin, str)]


def parsed_origins() -> list[tuple[str, SplitResult]]:
    """Each entry of :func:`allowed_origins` with its parts; malformed entries are left out
    (``corsheaders.E013`` reports them)."""
    parsed = [(origin, _split(origin)) for origin in allowed_origins()]
    return [(origin, url) for origin, url in parsed if url is not None]


def _split(origin: str) -> SplitResult | None:
    try:
        return urlsplit(origin)
    except ValueError:
        return None


def allowed_origin_regexes() -> list[str]:
    """The patterns of ``CORS_ALLOWED_ORIGIN_REGEXES`` as text, compiled ones included."""
    value = _cors_setting("CORS_ALLOWED_ORIGIN_REGEXES", "CORS_ORIGIN_REGEX_WHITELIST", ())
    if not isinstance(value, (list, tuple)):
        return []
    patterns = [entry.pattern if isinstance(entry, re.Pattern) else entry for entry in value]
    return [pattern for pattern in patterns if isinstance(pattern, str)]


def allows_all_origins() -> bool:
    """Whether the middleware answers every origin (it tests the setting's truth, not its type)."""
    return bool(_cors_setting("CORS_ALLOW_ALL_ORIGINS", "CORS_ORIGIN_ALLOW_ALL", default=False))


def allows_credentials() -> bool:
    """Whether responses carry ``Access-Control-Allow-Credentials: true``."""
    return bool(getattr(settings, "CORS_ALLOW_CREDENTIALS", False))


def _class_end(pattern: str, start: int) -> int:
    """Index just past the character class opening at ``start``."""
    i = start + 1
    if pattern[i : i + 1] == "^":
        i += 1
    if pattern[i : i + 1] == "]":  # a "]" first in a class is literal
        i += 1
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
        elif pattern[i] == "]":
            return i + 1
        else:
            i += 1
    return len(pattern)


def regex_metacharacters(pattern: str) -> Iterator[int]:
    """Indices of the characters of ``pattern`` that are neither escaped nor inside ``[...]``."""
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
        elif pattern[i] == "[":
            i = _class_end(pattern, i)
        else:
            yield i
            i += 1


def top_level_alternatives(pattern: str) -> list[str]:
    """Split ``pattern`` at the ``|`` that are outside any group or character class."""
    alternatives: list[str] = []
    depth = start = 0
    for i in regex_metacharacters(pattern):
        char = pattern[i]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            alternatives.append(pattern[start:i])
            start = i + 1
    alternatives.append(pattern[start:])
    return alternatives


def _trailing_backslashes(text: str) -> int:
    return len(text) - len(text.rstrip("\\"))


def is_end_anchored(pattern: str) -> bool:
    """Whether every top-level alternative of ``pattern`` ends with ``$`` or ``\\Z``.

    django-cors-headers matches with ``re.match``, which anchors the start already; the end
    anchor is what is missing in practice.
    """
    for alternative in top_level_alternatives(pattern):
        if alternative.endswith("$"):
            anchored = _trailing_backslashes(alternative[:-1]) % 2 == 0
        elif alternative.endswith("\\Z"):
            anchored = _trailing_backslashes(alternative[:-2]) % 2 == 0
        else:
            anchored = False
        if not anchored:
            return False
    return True


def has_bare_host_dot(pattern: str) -> bool:
    """Whether ``pattern`` has an unescaped ``.`` after its ``://`` that is not ``.*``/``.+``.

    The scheme never contains a dot, so without ``://`` the whole pattern is inspected.
    """
    separator = max(pattern.find("://"), pattern.find(":\\/\\/"))
    for i in regex_metacharacters(pattern):
        if i > separator and pattern[i] == "." and pattern[i + 1 : i + 2] not in QUANTIFIERS:
            return True
    return False


def _fullmatches(pattern: str, text: str) -> bool:
    try:
        return re.fullmatch(pattern, text) is not None
    except re.error:
        return False


def matches_http_scheme(pattern: str) -> bool:
    """Whether ``pattern`` can match an ``http://`` origin: some ``://`` in it follows a part that
    matches the scheme ``http`` (``http``, ``https?``, ``(http|https)``, ``[a-z]+``, ``.*``...).

    A heuristic, not a regex engine: a pattern without ``://`` (e.g. ``.*\\.example\\.com$``) is
    not judged.
    """
    for separator in SCHEME_SEPARATORS:
        index = pattern.find(separator)
        while index != -1:
            before = pattern[:index]
            # The scheme is some tail of what precedes the separator: try each, shortest last.
            if any(_fullmatches(before[start:], "http") for start in range(len(before))):
                return True
            index = pattern.find(separator, index + 1)
    return False


def _matches_null(pattern: str) -> bool:
    try:
        return re.match(pattern, NULL_ORIGIN) is not None
    except re.error:
        return False  # the middleware fails on it at request time; not a trust problem


def middleware() -> list[str]:
    """``MIDDLEWARE`` with non-string entries blanked, so indices still match."""
    value = getattr(settings, "MIDDLEWARE", None)
    if not isinstance(value, (list, tuple)):
        return []
    return [entry if isinstance(entry, str) else "" for entry in value]


def cors_configured() -> bool:
    """Whether the project uses CORS: the app is installed or an origin setting is non-empty."""
    apps = getattr(settings, "INSTALLED_APPS", ())
    if isinstance(apps, (list, tuple)) and any(
        isinstance(app, str) and (app == "corsheaders" or app.startswith("corsheaders."))
        for app in apps
    ):
        return True
    return allows_all_origins() or bool(allowed_origins()) or bool(allowed_origin_regexes())


@deploy_check
def check_allow_all_origins(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E301 (with credentials), apisec.W302 (without): CORS must not allow every origin."""
    if not allows_all_origins():
        return []
    return [E301] if allows_credentials() else [W302]


@deploy_check
def check_origin_regexes(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E303: origin regexes anchored at the end; apisec.W304: dots escaped."""
    messages: list[CheckMessage] = []
    for pattern in allowed_origin_regexes():
        if not is_end_anchored(pattern):
            messages.append(emit(E303, pattern=pattern))
        if has_bare_host_dot(pattern):
            messages.append(emit(W304, pattern=pattern))
    return messages


@deploy_check
def check_http_origins(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E305 (credentials), E311 (production), W306 (otherwise): no plain-http origin.

    One id per origin, in that order. With credentials http://localhost is tolerated; in the
    production profile it is not, and origin regexes that match http:// are reported too.
    """
    credentials = allows_credentials()
    production = apisec_settings.PROFILE == "production"
    messages: list[CheckMessage] = []
    for origin, url in parsed_origins():
        if url.scheme != "http":
            continue
        local = url.hostname in LOCAL_HOSTS
        if credentials and not local:
            messages.append(emit(E305, origin=origin))
        elif production:
            what = f"CORS_ALLOWED_ORIGINS trusts the plain-http origin {origin!r}"
            messages.append(emit(E311, what=what))
        elif not local:
            messages.append(emit(W306, origin=origin))
    if production:
        messages.extend(
            emit(E311, what=f"CORS_ALLOWED_ORIGIN_REGEXES entry {pattern!r} matches http origins")
            for pattern in allowed_origin_regexes()
            if matches_http_scheme(pattern)
        )
    return messages


@deploy_check
def check_null_origin(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E307: the 'null' origin must not be trusted, literally or through a regex."""
    messages: list[CheckMessage] = []
    if NULL_ORIGIN in allowed_origins():
        messages.append(emit(E307, source="CORS_ALLOWED_ORIGINS"))
    messages.extend(
        emit(E307, source=f"CORS_ALLOWED_ORIGIN_REGEXES entry {pattern!r}")
        for pattern in allowed_origin_regexes()
        if _matches_null(pattern)
    )
    return messages


@deploy_check
def check_cors_middleware(**kwargs: Any) -> list[CheckMessage]:
    """apisec.E308: CorsMiddleware present; apisec.E309: above middleware that answer early."""
    stack = middleware()
    if CORS_MIDDLEWARE not in stack:
        return [E308] if cors_configured() else []
    position = stack.index(CORS_MIDDLEWARE)
    return [emit(E309, other=other) for other in ANSWERING_MIDDLEWARE if other in stack[:position]]


@deploy_check
def check_private_network(**kwargs: Any) -> list[CheckMessage]:
    """apisec.W310: Private Network Access must not be opened to CORS origins."""
    return [W310] if getattr(settings, "CORS_ALLOW_PRIVATE_NETWORK", False) else []
