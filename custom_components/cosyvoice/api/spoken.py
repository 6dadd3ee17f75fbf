"""From what a caller wrote to what the service is sent: words, a home's words, a language.

One text known whole (:func:`spoken_whole`) and text still being written
(:class:`SpokenStream`) go through the same steps, unless the text is SSML, which is
the caller's own and is never touched:

1. Markdown, links, code and emoji out (:mod:`.speech_text`), if ``clean_text``;
2. the language hint for the message (:mod:`.hints`), unless the options pin one;
3. the home's words (:mod:`.wording`): as ``hot_fix`` on models that take it (see
   :func:`.options.wire_parameters`), else replacements in the text and, for a whole
   text whose voice takes SSML, pronunciations as ``<phoneme>``. SSML allows one
   message per task, so streamed text cannot carry them.
"""

from __future__ import annotations

import dataclasses
from typing import Final

from .custom_voices import is_cloned_voice_id
from .hints import hint_for
from .options import SynthesisOptions
from .speech_text import TextCleaner, clean_text
from .ssml import is_ssml
from .text import MAX_CHARS_PER_MESSAGE, measure
from .text_stream import PieceSource
from .wording import Replacer, replace_words, with_phonemes

SSML_SYSTEM_VOICES: Final = frozenset({"longanyang"})
"""System voices the voice list marks as taking SSML (protocol notes §6.1); every
cloned or designed voice takes it."""


def spoken_whole(text: str, options: SynthesisOptions) -> tuple[str, SynthesisOptions]:
    """What to send for a whole text, and the options to send it with."""
    if is_ssml(text):
        return text, options
    if options.clean_text:
        text = clean_text(text)
    options = with_hint(options, text)
    if options.model_info.hot_fix:
        return text, options
    text = replace_words(text, options.replacements)
    if options.pronunciations and takes_ssml(options):
        document = with_phonemes(text, options.pronunciations)
        if document is not None and measure(text) <= MAX_CHARS_PER_MESSAGE:
            return document, options
    return text, options


def with_hint(options: SynthesisOptions, text: str) -> SynthesisOptions:
    """``options`` with the message's language hint, where the model takes one."""
    if options.language_hints or not options.model_info.extras:
        return options
    hint = hint_for(options.message_language, text)
    if hint is None:
        return options
    return dataclasses.replace(options, language_hints=(hint,))


def takes_ssml(options: SynthesisOptions) -> bool:
    """Whether the model and the voice both take SSML."""
    return options.model_info.ssml and (
        options.voice in SSML_SYSTEM_VOICES
        or is_cloned_voice_id(options.voice, options.model)
    )


class SpokenStream:
    """The same steps for text that arrives in pieces.

    SSML is never streamed: the client reads a ``<speak>`` document whole.
    """

    def __init__(self, options: SynthesisOptions) -> None:
        """Shape text for ``options`` (whose hint :func:`with_hint` sets)."""
        self._cleaner = TextCleaner() if options.clean_text else None
        words = () if options.model_info.hot_fix else options.replacements
        self._replacer = Replacer(words)

    def feed(self, piece: str) -> str:
        """Add what was written; return what may be sent now."""
        cleaned = self._cleaner.feed(piece) if self._cleaner else piece
        return self._replacer.feed(cleaned)

    def pause(self) -> str:
        """The writer paused: what was held back and may be spoken now."""
        cleaned = self._cleaner.pause() if self._cleaner else ""
        return self._replacer.feed(cleaned) + self._replacer.finish()

    def finish(self) -> str:
        """The text ended: whatever is left to send."""
        cleaned = self._cleaner.finish() if self._cleaner else ""
        return self._replacer.feed(cleaned) + self._replacer.finish()


class SpokenPieces:
    """A stream's pieces as they are to be sent: what :class:`SpokenStream` makes.

    A piece whose words are all held back (an unfinished ``**``) is not handed on;
    the next one is waited for, so a writer never sees an empty piece. Held words
    wait no longer than ``pause``: where the writer stops, they are handed on and
    the pause is reported next, as for a sentence it left unfinished.
    """

    def __init__(self, source: PieceSource, spoken: SpokenStream, pause: float) -> None:
        """Shape what ``source`` gives."""
        self._source = source
        self._spoken = spoken
        self._pause = pause
        self._held = ""
        self._paused = False
        self._ended = False

    async def next(self, timeout: float | None) -> str | None:
        """The next shaped piece; None at the end. Raises TimeoutError on a pause."""
        while not self._ended:
            try:
                piece = await self._read(timeout)
            except TimeoutError:
                held, self._held = self._held or self._spoken.pause(), ""
                if not held:
                    raise
                self._paused = True
                return held
            if piece is None:
                self._ended = True
                return self._spoken.finish() or None
            if shaped := self._spoken.feed(piece):
                return shaped
        return None

    async def _read(self, timeout: float | None) -> str | None:
        """The source's next piece, looking at held words once ``pause`` passed."""
        if self._paused:
            # The held words went out as the pause began: now the pause itself.
            self._paused = False
            return await self._source.next(0)
        if timeout is not None and timeout <= self._pause:
            return await self._source.next(timeout)
        try:
            return await self._source.next(self._pause)
        except TimeoutError:
            self._held = self._spoken.pause()
            if self._held:
                raise
        return await self._source.next(
            None if timeout is None else timeout - self._pause
        )

    async def close(self) -> None:
        """Stop reading the source."""
        await self._source.close()
