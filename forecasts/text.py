"""Normalizing article text so that quotes can be matched verbatim.

Copied articles break lines inside words ("reall|y", "Peninsul|a") and inside sentences ("Russians|to buy").
A dictionary would tell the two apart; the article itself is a good enough one: a break is inside a word when
the joined word occurs elsewhere in the text, or when either side is not a word the text uses elsewhere.
"""

import re

_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2018": "'", "\u2019": "'", "\u00a0": " "})
_WORD = re.compile(r"[A-Za-z]+")
# A single line break between two letters: the only place a word can have been cut.
_BREAK = re.compile(r"([A-Za-z]+)[ \t]*\n[ \t]*([A-Za-z]+)")


def _join_breaks(text: str, vocabulary: set[str]) -> str:
    def join(match: re.Match) -> str:
        left, right = match.group(1), match.group(2)
        if (left + right).lower() in vocabulary:
            return left + right
        if left.lower() in vocabulary and right.lower() in vocabulary:
            return f"{left} {right}"
        return left + right

    return _BREAK.sub(join, text)


def normalize_text(raw: str) -> str:
    """Straight quotes, one space between words, paragraphs kept, line breaks inside paragraphs mended."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").translate(_QUOTES)
    # The words the text uses away from any single line break.
    vocabulary = {word.lower() for word in _WORD.findall(_BREAK.sub(" ", text))}
    mended = []
    for paragraph in re.split(r"\n[ \t]*\n+", text):
        paragraph = _join_breaks(paragraph.strip(), vocabulary)
        paragraph = re.sub(r"\s+", " ", paragraph).strip()
        if paragraph:
            mended.append(paragraph)
    return "\n\n".join(mended) + "\n"


def quote_context(text: str, quote: str, chars: int = 160) -> tuple[str, str, str] | None:
    """(before, quote, after) around the first place `quote` stands in `text`, cut at word boundaries."""
    if not quote or not text:
        return None
    start = text.find(quote)
    if start < 0:
        return None
    end = start + len(quote)
    before = text[max(0, start - chars) : start]
    after = text[end : end + chars]
    if start - chars > 0 and " " in before:
        before = "…" + before[before.index(" ") + 1 :]
    if end + chars < len(text) and " " in after:
        after = after[: after.rindex(" ")] + "…"
    # Keep the context inside the quote's paragraph.
    before = before.rsplit("\n\n", 1)[-1]
    after = after.split("\n\n", 1)[0]
    return before, quote, after


def quote_spans(text: str, quotes: list[tuple[str, object]]) -> list[tuple[int, int, object]]:
    """Non-overlapping (start, end, tag) spans where each quote stands in `text`, in order; unfound quotes are dropped."""
    spans = []
    for quote, tag in quotes:
        start = text.find(quote) if quote else -1
        if start >= 0:
            spans.append((start, start + len(quote), tag))
    spans.sort(key=lambda span: (span[0], -span[1]))
    kept, last_end = [], 0
    for start, end, tag in spans:
        if start >= last_end:
            kept.append((start, end, tag))
            last_end = end
    return kept


def decode_article(data: bytes) -> str:
    """An uploaded article's text; ValueError, saying where, when it is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at position {exc.start}); save the article as UTF-8"
        ) from None
