"""SSML detection and validation (no I/O)."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from custom_components.cosyvoice.api.ssml import (
    ALLOWED_TAGS,
    InvalidSsmlError,
    check_ssml,
    is_ssml,
)
from custom_components.cosyvoice.api.text import billed_length
from tests.strategies import any_character, awkward, awkward_text


@pytest.mark.parametrize(
    "text",
    [
        "<speak>你好</speak>",
        "  \n<speak rate='1.2'>你好</speak>\n",
        "<speak/>",
        "<speak>一</speak><speak>二</speak>",
    ],
)
def test_ssml_is_recognised(text: str) -> None:
    assert is_ssml(text)


@pytest.mark.parametrize(
    "text",
    [
        "1 < 2 & 3 > 2",
        "Tom & Jerry <3",
        "<speaker>not ssml</speaker>",
        "Say <speak>this</speak>",
        "😀 emoji <b>bold</b>",
        "",
    ],
)
def test_plain_text_with_markup_characters_is_not_ssml(text: str) -> None:
    assert not is_ssml(text)


def test_valid_ssml_bills_only_the_spoken_text() -> None:
    doc = (
        '<speak rate="1.1">今天<break time="500ms"/>天气'
        '<say-as interpret-as="digits">123</say-as>'
        '<phoneme alphabet="py" ph="hao3">好</phoneme>'
        '<sub alias="世界卫生组织">WHO</sub><soundEvent src="https://x/y.wav"/>'
        "</speak><speak>&amp;再见</speak>"
    )
    assert check_ssml(doc) == billed_length("今天天气123好WHO&再见")


@pytest.mark.parametrize(
    ("doc", "fragment"),
    [
        ("<speak>你好", "not well-formed"),
        ("<speak>a & b</speak>", "not well-formed"),
        ("<speak><break></speak>", "not well-formed"),
        ("<speak>hi</speak> tail", "outside <speak>"),
        ("before <speak>hi</speak>", "outside <speak>"),
        ("<speak>hi</speak><p>more</p>", "root must be <speak>"),
        ("<speak><b>bold</b></speak>", "<b>"),
        ("<speak><speak>x</speak></speak>", "nested"),
        ("<speak>  </speak>", "nothing to say"),
        (
            '<!DOCTYPE speak [<!ENTITY a "aaaa">]><speak>&a;</speak>',
            "DOCTYPE",
        ),
    ],
)
def test_malformed_ssml_is_refused_with_the_problem_named(
    doc: str, fragment: str
) -> None:
    with pytest.raises(InvalidSsmlError, match=fragment):
        check_ssml(doc)


def test_ssml_error_names_the_position() -> None:
    with pytest.raises(InvalidSsmlError, match="line 2"):
        check_ssml("<speak>\n<break</speak>")


# --- Property-based: near-SSML of every shape -------------------------------------------

_TAGS = (*ALLOWED_TAGS, "speak", "speak", "p", "b", "ssml-root", "x:speak", "SPEAK")
_ATTRIBUTES = ("time", "alias", "ph", "alphabet", "interpret-as", "src", "rate", "a:b")
_ODDITIES = (
    "&amp;",
    "&lt;",
    "&#x4E00;",
    "&#0;",
    "&#xD800;",
    "&#99999999;",
    "&nbsp;",
    "&",
    "<",
    "]]>",
    "<![CDATA[<speak>]]>",
    "<!-- a comment -->",
    "<?pi data?>",
    "<?xml version='1.0'?>",
    "<!DOCTYPE speak>",
    '<!ENTITY a "b">',
    "</speak>",
    "<speak>",
    "<break/>",
    "\x00",
    "\x1b",
    "\ud800",
    "\r\n",
)
# Values as they come, or escaped as a well-formed document has them; some huge.
_values = (
    st.text(any_character, max_size=12).map(quoteattr)
    | st.text(any_character, max_size=12).map(lambda v: f'"{v}"')
    | st.integers(1, 200_000).map(lambda n: quoteattr("x" * n))
)
_attributes = st.lists(
    st.tuples(st.sampled_from(_ATTRIBUTES), _values).map(lambda a: f" {a[0]}={a[1]}"),
    max_size=3,
).map("".join)
_leaves = (
    st.sampled_from(_ODDITIES)
    | st.text(any_character, max_size=10)
    | awkward_text.map(escape)
    | st.builds(
        lambda tag, attrs: f"<{tag}{attrs}/>", st.sampled_from(_TAGS), _attributes
    )
)


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda tag, attrs, inner, closed: (
            f"<{tag}{attrs}>{''.join(inner)}" + (f"</{tag}>" if closed else "")
        ),
        st.sampled_from(_TAGS),
        _attributes,
        st.lists(children, max_size=4),
        st.booleans() | st.just(True),  # mostly closed, so deeper checks run
    )


near_ssml = st.lists(st.recursive(_leaves, _element, max_leaves=25), max_size=3).map(
    "".join
)


@given(
    near_ssml | st.text(any_character) | near_ssml.map(lambda d: f"<speak>{d}</speak>")
)
@example("<speak>\ud800</speak>")  # found by fuzzing: UnicodeEncodeError
@example("<speak>" + "<sub>" * 50_000 + "x" + "</sub>" * 50_000 + "</speak>")
def test_check_ssml_returns_or_refuses(text: str) -> None:
    """Any text is accepted with a sensible billed length or refused as invalid SSML."""
    assert isinstance(is_ssml(text), bool)
    try:
        length = check_ssml(text)
    except InvalidSsmlError:
        return
    # Tags are free and an entity is no longer than what it stands for.
    assert 1 <= length <= billed_length(text)


# Well-formed documents of allowed tags (no nested <speak>, no "\r": XML makes "\r\n" one).
_spoken = (
    awkward(4)
    .filter(lambda t: "\r" not in t)
    .map(lambda t: "".join(c for c in t if c in "\t\n" or (c >= " " and _xml_char(c))))
)


def _xml_char(c: str) -> bool:
    return not ("\ud800" <= c <= "\udfff" or c in "\ufffe\uffff")


_good_attributes = st.lists(
    st.tuples(st.sampled_from(_ATTRIBUTES[:-1]), _spoken.map(quoteattr)).map(
        lambda a: f" {a[0]}={a[1]}"
    ),
    max_size=2,
    unique_by=lambda a: a.split("=")[0],
).map("".join)
_inner = st.recursive(
    _spoken.map(lambda t: (escape(t), t)),
    lambda children: st.builds(
        lambda tag, attrs, inner: (
            f"<{tag}{attrs}>{''.join(x for x, _ in inner)}</{tag}>",
            "".join(t for _, t in inner),
        ),
        st.sampled_from(sorted(ALLOWED_TAGS - {"speak"})),
        _good_attributes,
        st.lists(children, max_size=3),
    ),
    max_leaves=8,
)


@given(st.lists(st.lists(_inner, max_size=4), min_size=1, max_size=3))
def test_well_formed_ssml_is_billed_for_its_text(
    documents: list[list[tuple[str, str]]],
) -> None:
    """A well-formed document of allowed tags is accepted, billed for its text only."""
    ssml = "".join(
        f"<speak>{''.join(x for x, _ in parts)}</speak>" for parts in documents
    )
    spoken = "".join(t for parts in documents for _, t in parts)
    if spoken.strip():
        assert check_ssml(f" {ssml}\n") == billed_length(spoken)
    else:
        with pytest.raises(InvalidSsmlError, match="nothing to say"):
            check_ssml(ssml)


def test_ssml_with_a_lone_surrogate_is_refused() -> None:
    with pytest.raises(InvalidSsmlError, match="surrogate"):
        check_ssml("<speak>你好\ud800</speak>")
