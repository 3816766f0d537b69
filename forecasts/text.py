"""Normalizing article text so that quotes can be matched verbatim.

Articles come with line breaks of two kinds. Text wrapped at a width breaks only between words, or after the hyphen
of a hyphenated word ("Asia-|Pacific"), so its breaks become spaces and its paragraphs are separated by blank lines.
Copied text breaks at odd places, inside words ("reall|y", "Peninsul|a") as well as between them; there a break is
mended only when English word frequencies (wordfreq) say so: the joined form is a word and one of the pieces is
not. Any other single break in such text ends a paragraph, unless the sentence plainly runs on ("Russians|to buy").
The article's own vocabulary is never the judge: a word it uses once would otherwise glue its neighbours together.
"""

import math
import re
from functools import cache
from urllib.parse import urlsplit, urlunsplit

import wordfreq

_QUOTES = str.maketrans(
    {"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2018": "'", "\u2019": "'", "\u00a0": " ", "\t": " "}
)
# Letters and the apostrophe of "isn't": the pieces a break can cut a word into.
_PIECE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]*)*|'[^\W\d_]+")
# Contractions written without their apostrophe ("they re", "we ll") make these frequent in wordfreq's lists.
_CONTRACTION_TAILS = frozenset({"ll", "nt", "re", "ve"})
# Zipf frequency (log10 of uses per billion words) from which a string counts as an English word: "peninsula" is
# 4.0, "conscripts" 2.6, the fragments "reall" 2.1 and "peninsul" 0.
_WORD_ZIPF = 2.5
# A text is wrapped when at least this share of its line breaks fall where the next word would not have fit.
_WRAPPED_SHARE = 2 / 3
# Fewer breaks than this say nothing about a width.
_WRAPPED_MIN_BREAKS = 3


@cache
def _english_frequencies() -> dict[str, float]:
    return wordfreq.get_frequency_dict("en")


def _zipf(word: str) -> float:
    """wordfreq.zipf_frequency(word, "en") for a lower-case word, read straight from wordfreq's own list.

    zipf_frequency tokenizes its argument on every call (about 6 µs); a 1 MB text of broken lines asks about
    hundreds of thousands of distinct strings, so the look-up is one access to the list wordfreq keeps in memory.
    """
    frequency = _english_frequencies().get(word)
    return round(math.log10(frequency) + 9, 2) if frequency else 0.0


def _is_word(piece: str) -> bool:
    piece = piece.lower()
    if len(piece) == 1:
        # Initials and list labels make every letter frequent in wordfreq's lists; only these two are words.
        return piece in ("a", "i")
    return piece not in _CONTRACTION_TAILS and _zipf(piece) >= _WORD_ZIPF


def _head(line: str) -> str:
    match = _PIECE.match(line)
    return match.group() if match else ""


def _tail(line: str) -> str:
    # Matched on the reversed line: a search anchored at the end would rescan a long run of letters from every
    # starting position, which is quadratic.
    match = _PIECE.match(line[::-1])
    return match.group()[::-1] if match else ""


def _hyphen_break(line: str, following: str) -> bool:
    """A line ending in a hyphen inside a word ("Asia-|Pacific"): the hyphen is the word's own and is kept."""
    return len(line) > 1 and line[-1] == "-" and line[-2].isalnum() and following[:1].isalnum()


def _inside_word(line: str, following: str) -> bool:
    """A break cuts a word when the joined form is a word and one of its pieces is not ("reall|y", "t|o")."""
    left, right = _tail(line), _head(following)
    if not left or not right:
        return False
    return _is_word(left + right) and not (_is_word(left) and _is_word(right))


def _is_wrapped(blocks: list[list[tuple[str, int]]]) -> bool:
    """Whether the text was wrapped at a width: most of its breaks fall where the next word would not have fit.

    A wrapper moves a word to the next line only when it does not fit, so a wrapped line plus the following
    word is longer than the width. Copied text breaks anywhere, at lines of every length.
    """
    breaks = []
    for block in blocks:
        for (_, length), (following, _) in zip(block, block[1:]):
            space = following.find(" ")
            breaks.append((length, space if space >= 0 else len(following)))
    if len(breaks) < _WRAPPED_MIN_BREAKS:
        return False
    lengths = sorted(length for length, _ in breaks)
    # The longest tenth of the lines is left out, so that a few over-long lines (URLs) do not set the width.
    width = lengths[len(lengths) - 1 - len(lengths) // 10]
    # Wrappers differ (counting a trailing space or not, balancing their lines), so a line is full a little short
    # of the width.
    slack = 1 + width // 20
    within = [(length, word) for length, word in breaks if length <= width]
    full = sum(1 for length, word in within if length + 1 + word > width - slack)
    return full >= _WRAPPED_SHARE * len(within)


def _unwrapped_break(line: str, following: str) -> str | None:
    """What a break in unwrapped text stands for: nothing (a cut word), a space, or a new paragraph (None)."""
    if _hyphen_break(line, following) or _inside_word(line, following):
        return ""
    # A sentence running on: the next line starts in lower case, or this one stops at a comma or a dash.
    if following[0].islower() or line[-1] in ",;-\u2013\u2014":
        return " "
    return None


def normalize_text(raw: str) -> str:
    """Straight quotes, one space between words, paragraphs kept, line breaks inside paragraphs mended."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").translate(_QUOTES)
    # Blocks of non-blank lines, each line stripped and kept with its length as the wrapper saw it.
    blocks: list[list[tuple[str, int]]] = [[]]
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            blocks[-1].append((stripped, len(line.rstrip())))
        elif blocks[-1]:
            blocks.append([])
    wrapped = _is_wrapped(blocks)
    paragraphs = []
    for block in blocks:
        if not block:
            continue
        parts = [block[0][0]]
        for (line, _), (following, _) in zip(block, block[1:]):
            if wrapped:
                joint = "" if _hyphen_break(line, following) else " "
            else:
                joint = _unwrapped_break(line, following)
            if joint is None:
                paragraphs.append(parts)
                parts = [following]
            else:
                parts += [joint, following]
        paragraphs.append(parts)
    mended = (" ".join("".join(parts).split()) for parts in paragraphs)
    return "\n\n".join(paragraph for paragraph in mended if paragraph) + "\n"


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


def quote_spans(text: str, quotes: list[tuple[str, object, int | None]]) -> list[tuple[int, int, object]]:
    """Non-overlapping (start, end, tag) spans where each quote stands in `text`, in order; unfound quotes are dropped.

    Each quote comes with where it is known to start (a draft's quote_start), or None: a quote that stands in the
    text more than once ("Prices will rise." said twice) is marked where it was read, not where it first stands."""
    spans = []
    for quote, tag, known in quotes:
        if quote and known is not None and text.startswith(quote, known):
            start = known
        else:
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


def canonical_url(url: str) -> str:
    """A URL as one document's name: its scheme and host lower-cased ("HTTP://EXAMPLE.com/a" is
    "http://example.com/a"), the rest as given (paths are case-sensitive)."""
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        return url.strip()
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, parts.fragment))
