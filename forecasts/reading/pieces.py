"""An article cut into what the parser reads, without reading it: paragraphs in pieces of a bounded size, what is
prose and what is not, a teaser the body repeats, a title-cased headline in sentence case, and the quoted pieces
of a paragraph. Pure text; no parse."""

import re

from wordfreq import zipf_frequency

_RUN = re.compile(r"\S{200,}")


# A paragraph longer than this is parsed in pieces cut at sentence ends (else at spaces): the parser's memory grows
# with the length of one text (about 1 GB per 100,000 characters, spaCy says), and news paragraphs are far shorter.
MAX_PARSE = 5_000


_SENTENCE_END = re.compile(r'[.!?]["\')\]]?\s+(?=["\'(\[]?[A-Z0-9])')


def paragraph_pieces(start: int, paragraph: str) -> list[tuple[int, str]]:
    """A paragraph as (offset, text) pieces of at most MAX_PARSE characters, cut after a sentence where one ends."""
    pieces = []
    while len(paragraph) > MAX_PARSE:
        window = paragraph[: MAX_PARSE]
        ends = [m.end() for m in _SENTENCE_END.finditer(window)]
        cut = ends[-1] if ends and ends[-1] > MAX_PARSE // 4 else (window.rfind(" ") + 1 or MAX_PARSE)
        pieces.append((start, paragraph[:cut]))
        start, paragraph = start + cut, paragraph[cut:]
    pieces.append((start, paragraph))
    return [(offset, piece) for offset, piece in pieces if piece.strip()]


_WORD = re.compile(r"[A-Za-z][a-z']+")


def sentence_case(headline: str, text: str) -> str:
    """A Title-Cased Headline as the parser reads a sentence best: capitals kept only on the first word and on words
    the article's body capitalises mid-sentence (names). Same length, so every offset still points into the text."""
    words = _WORD.findall(headline)
    if len(words) < 3 or sum(w[0].isupper() for w in words if len(w) > 3) < 0.6 * sum(len(w) > 3 for w in words):
        return headline
    body = text[len(headline):]

    def case(match: re.Match) -> str:
        word = match.group(0)
        if match.start() == 0 or not word[0].isupper():
            return word
        lower = len(re.findall(rf"(?<![.!?\n\"] ){re.escape(word.lower())}\b", body))
        upper = len(re.findall(rf"(?<=[a-z,;] ){re.escape(word)}\b", body))
        if upper > lower:
            return word  # the body capitalises it mid-sentence: a name
        common = word.lower() in _COMMON or zipf_frequency(word.lower(), "en") >= 3.5
        return word.lower() if lower or common else word

    return _WORD.sub(case, headline)


_COMMON = {"will", "could", "may", "might", "says", "say", "said", "predicts", "predict", "expects", "expect",
           "warns", "warn", "sees", "likely", "to", "in", "of", "for", "and", "the", "by", "on", "at", "with", "as",
           "more", "less", "than", "new", "next", "year", "rise", "fall", "growth", "end", "season"}


def is_prose(piece: str) -> bool:
    """Whether a piece reads as prose worth parsing: words of two letters or more, none of them a run of 200
    characters. Anything else (quote marks and full stops, or "a, a, a," for pages) costs the parser far more than text (its
    suffix search is quadratic in a word's length) and holds no forecast."""
    words = piece.split()
    if not words or _RUN.search(piece):
        return False
    wordy = sum(1 for w in words if sum(c.isalpha() for c in w) >= 2)
    return wordy >= 0.6 * len(words)


def is_teaser(paragraph: str, text: str) -> bool:
    """A summary cut off with "…" that the article's body repeats in full: read once, in the body."""
    body = paragraph.rstrip()
    if not body.endswith(("…", "...")):
        return False
    lead = body.rstrip(".… ")[:200]
    return len(lead) > 40 and text.count(lead) > 1


def quoted_pieces(paragraph: str) -> list[tuple[int, int]]:
    """(start, end) of each quoted piece's inner text. A mark is read as opening or closing by what stands beside
    it, not by counting: a quotation reopened before the last one was closed ('… seditious things. "But by
    Christmas …') ends where the new one opens, and a quote left open runs to the paragraph's end (a quotation
    carried over into the next paragraph, as some outlets print them)."""
    pieces, start = [], None
    for match in re.finditer('"', paragraph):
        at = match.start()
        before = paragraph[at - 1] if at else " "
        after = paragraph[at + 1] if at + 1 < len(paragraph) else " "
        opening = (before.isspace() or before in "([{—–-/") and not after.isspace()
        closing = not before.isspace() and (after.isspace() or after in ".,;:!?)]}—–-")
        if start is None:
            if opening or not closing:
                start = at + 1
        elif closing or not opening:
            pieces.append((start, at))
            start = None
        else:
            pieces.append((start, at))
            start = at + 1
    if start is not None:
        pieces.append((start, len(paragraph)))
    return pieces


def inside_mask(doc, pieces) -> list[bool]:
    """Which tokens lie inside a quoted piece: one sweep over tokens and pieces (both in order)."""
    mask, index = [False] * len(doc), 0
    for token in doc:
        while index < len(pieces) and pieces[index][1] <= token.idx:
            index += 1
        mask[token.i] = index < len(pieces) and pieces[index][0] <= token.idx
    return mask
