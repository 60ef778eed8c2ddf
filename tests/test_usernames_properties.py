"""Property tests for the username normalisation the lockout, throttles and login share."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from django_apisec.abuse.usernames import canonical_username

SPACES = st.sampled_from([" ", "\t", "\u3000", "\u00a0", "\n"])


@given(st.text())
def test_it_is_idempotent(name: str) -> None:
    once = canonical_username(name)
    assert canonical_username(once) == once


@given(st.text())
def test_case_variants_share_one_account(name: str) -> None:
    assert canonical_username(name.upper()) == canonical_username(name.lower())


def test_dotless_i_spelling_shares_the_account() -> None:
    # A case-insensitive lookup (UPPER, iexact) finds "ivan" for "\u0131van": one counter.
    assert canonical_username("\u0131van") == canonical_username("IVAN") == "ivan"


def test_every_code_point_is_stable_and_caseless() -> None:
    unstable = []
    for code_point in range(0x110000):
        if 0xD800 <= code_point <= 0xDFFF:  # lone surrogates are not text
            continue
        char = chr(code_point)
        once = canonical_username(char)
        if canonical_username(once) != once or (
            canonical_username(char.upper()) != canonical_username(char.lower())
        ):
            unstable.append(hex(code_point))
    assert unstable == []


@given(st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E)), SPACES, SPACES)
def test_surrounding_whitespace_is_ignored(name: str, before: str, after: str) -> None:
    assert canonical_username(f"{before}{name}{after}") == canonical_username(name)


@given(st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E)))
def test_full_width_spellings_share_one_account(name: str) -> None:
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in name)
    assert canonical_username(full_width) == canonical_username(name)


@given(st.text())
def test_result_is_nfkc_and_trimmed(name: str) -> None:
    result = canonical_username(name)
    assert unicodedata.is_normalized("NFKC", result)
    assert result == result.strip()


@given(st.one_of(st.none(), st.integers(), st.floats(), st.binary(), st.lists(st.integers())))
def test_any_value_gives_a_string(value: object) -> None:
    assert isinstance(canonical_username(value), str)
