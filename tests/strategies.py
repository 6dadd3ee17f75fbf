"""Hypothesis strategies shared by the property tests: JSON values and awkward text."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

JSON_SCALARS: st.SearchStrategy[Any] = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
)
"""What JSON can carry; Python's json reads NaN and the infinities too."""

json_values: st.SearchStrategy[Any] = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
"""Any JSON value, nested a few levels deep."""

any_character = st.characters(exclude_categories=())
"""Every code point, lone surrogates included (JSON's "\\ud800" makes one)."""

_FRAGMENTS = (
    *"。！？!?；;…\n.，,、：:）)」』”’",  # sentence and clause ends
    ". ",
    "... ",
    " ",
    "   ",
    "\t",
    "\u3000",
    "\r\n",
    "你好",
    "世界和平",
    "\U00020000\U0002a700",  # Han beyond the Basic Multilingual Plane
    "가나",
    "かな",
    "😀",
    "👩\u200d👩\u200d👧",  # one emoji of several code points
    "e\u0301",  # a combining accent after its letter
    "\u0301",
    "\ud83d",  # half of a surrogate pair, alone
    "\udca9",
    "word",
    "Hello",
    "\x00",
    "\u200b",
)


def awkward(max_fragments: int) -> st.SearchStrategy[str]:
    """Text mixing scripts, emoji, combining marks, whitespace runs and punctuation."""
    return st.lists(
        st.sampled_from(_FRAGMENTS) | st.text(any_character, max_size=6),
        max_size=max_fragments,
    ).map("".join)


awkward_text = awkward(30)
