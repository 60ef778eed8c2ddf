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
