"""Reading an article for forecasts: attributed quotations and reported speech that look forward. Pure text, no ORM.

What it finds, in a normalized text (text.normalize_text):
- quotations with their speaker: `"…," X said`, `"…," said X`, `X said: "…"`, `According to X, "…"`; further
  quoted pieces of the same paragraph, and a paragraph that is only a quotation, carry the last speaker on;
- reported speech: `X said / noted / anticipated / confirmed … that CLAUSE`;
- inside each, the clauses with forward-looking words (will, going to, could, may, likely, expected to, …), minus
  questions, relative clauses ("boys who will …") and other people's beliefs ("Kim thinks Putin will win").
A clause that ends a quoted piece mid-sentence (`…,"  he said. "…`) and whose continuation looks forward too is
one statement, kept whole with the attribution inside, as the article prints it.
"""

import re
from dataclasses import dataclass, field

HEDGES = [
    "almost certainly", "almost no chance", "very likely", "highly likely", "most likely", "realistic possibility",
    "likely going to", "likely to", "unlikely", "likely", "probably", "is going to", "are going to", "am going to",
    "going to", "will", "won't", "could", "may", "might", "possibly", "possible", "expected to", "expects", "expect",
    "has decided to", "have decided to", "decided to", "plans to", "intends to", "is set to",
]
_HEDGE = re.compile(r"(?<![\w'])(" + "|".join(re.escape(h) for h in HEDGES) + r")(?![\w'])", re.IGNORECASE)
# "boys who will wind up …": a relative clause, not the sentence's claim.
_RELATIVE = re.compile(r"\b(?:who|which|whom)\s+$", re.IGNORECASE)
# Somebody else's belief or hope, reported ("Kim Jong-un thinks Putin will win", "Zelenskyy may be hoping …").
_BELIEF = re.compile(
    r"(?<!\bI )(?<!\bwe )\b(?!I\b|we\b|We\b)[A-Z][\w'-]*\s+(?:\w+\s+){0,2}(?:thinks|believes|hopes|hoping|fears|wants)\b"
)
_NAME = r"[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*){0,5}"
_WHO = rf"(?:he|she|they|{_NAME})"
_VERBS = r"said|says|told|tells|noted|notes|added|adds|wrote|writes|warned|warns|predicted|predicts|explained|stressed|argued"
# After a closing quote: `," he said`, `," Andrew Yeo, the … chair at …, told`, `," said Jane Doe`.
_AFTER = re.compile(
    rf"\s*(?:(?P<who>{_WHO})(?:,\s*(?P<appos>[^,\"]{{3,200}}),)?\s+(?:{_VERBS})\b"
    rf"|(?:{_VERBS})\s+(?P<who2>{_NAME})(?:,\s*(?P<appos2>[^,\"]{{3,200}})|\s+of\s+(?P<org2>{_NAME}))?)"
)
# Before an opening quote: `Jane Doe, chief economist at Acme, said: "`, `According to John Roe, a fellow at X, "`.
_BEFORE = re.compile(
    rf"(?:(?P<who>{_WHO})(?:,\s*(?P<appos>[^,\"]{{3,200}}),)?\s+(?:{_VERBS})(?:\s+[\w ]{{0,40}}?)?\s*[:,]"
    rf"|[Aa]ccording to\s+(?P<who2>{_NAME})(?:,\s*(?P<appos2>[^,\"]{{3,200}}))?,)\s*$"
)
_GROUPS = (
    r"analysts|experts|officials|observers|economists|diplomats|sources|researchers|scientists"
    r"|ministry|authority|agency|government|department|office|commission|committee|bank|service|institute"
)
_REPORTED = re.compile(
    rf"(?P<who>(?:(?:[A-Z][\w.'-]*|the|The|[a-z]+)\s+){{0,4}}(?:{_GROUPS})|{_NAME})\s+(?:have\s+|has\s+)?"
    r"(?:said|say|says|noted|anticipated|anticipate|expect|expects|expected|predicted|predict|warned|warn|confirmed"
    r"|believe|believes|estimated|estimate|forecast)\s+that\s+"
)
# A person introduced with an appositive: "Bruce Bennet, a senior defense analyst at RAND Corp., …".
_INTRO = re.compile(
    r"(?P<name>[A-Z][a-z]+(?:\s+[A-Z][\w'-]+){1,4}),\s+(?P<appos>(?:a|an|the)\s[^,\"]{3,200}|[^,\"]{3,200}\sat\s[^,\"]+),"
)
_NARRATIVE_SPEAKER = re.compile(rf"(?P<who>{_NAME})\s+(?:{_VERBS}|proposed|expected)\b")
_CLAUSE = re.compile(r",\s+(?:but|and|yet|so)\s+|;\s+")
MIN_QUOTE_WORDS = 4
MAX_CLAUSE = 600  # characters of a reported clause looked at (a long sentence is ~300)
MAX_ATTRIBUTION = 400  # characters before a quotation searched for its speaker
MAX_FUZZY_PEOPLE = 200  # an article names a few dozen people; past this, only exact surnames match
PRONOUNS = {"he", "she", "they"}


@dataclass
class Candidate:
    """One proposed forecast: a span of the text, who said it, and the hedge words in it."""

    start: int
    end: int
    quote: str
    speaker: str
    affiliation: str = ""
    hedge_phrase: str = ""
    is_group: bool = False
    flags: list[str] = field(default_factory=list)


@dataclass
class _Clause:
    start: int
    end: int
    hedge: str
    ends_piece_mid_sentence: bool = False
    first_of_piece: bool = False


def hedge_in(text: str) -> str:
    """The first forward-looking words in `text` that count ('' if none): not in a relative clause, not in a
    question, not someone else's belief."""
    if text.rstrip().endswith("?") or _BELIEF.search(text):
        return ""
    for match in _HEDGE.finditer(text):
        # Only the words just before count (and looking further back would make a long text quadratic).
        if not _RELATIVE.search(text[max(0, match.start() - 16) : match.start()]):
            return match.group(1)
    return ""


def _edit_distance_at_most_one(a: str, b: str) -> bool:
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    for i in range(len(a)):
        if a[i] != b[i]:
            return a[i + 1 :] == b[i + 1 :] or a[i:] == b[i + 1 :]
    return True


class _People:
    """The people the article introduces, so that "Yeo said", "Bennett noted" and "he said" find a full name."""

    def __init__(self, text: str):
        self.affiliation: dict[str, str] = {}
        self.by_surname: dict[str, str] = {}
        for match in _INTRO.finditer(text):
            self._add(match.group("name"), match.group("appos"))
        self.last = ""

    def _add(self, name: str, appos: str = "") -> str:
        known = self.find(name)
        if known:
            return known
        self.affiliation[name] = _affiliation(appos)
        self.by_surname.setdefault(name.split()[-1].lower(), name)
        return name

    def find(self, name: str) -> str:
        """The known full name for a full name or a surname, allowing one wrong letter ("Bennett" → "Bruce Bennet")."""
        surname = name.split()[-1].lower()
        exact = self.by_surname.get(surname)
        if exact and (len(name.split()) == 1 or _edit_distance_at_most_one(exact.lower(), name.lower())):
            return exact
        for known in list(self.affiliation)[:MAX_FUZZY_PEOPLE]:
            if _edit_distance_at_most_one(known.split()[-1].lower(), surname):
                if len(name.split()) == 1 or _edit_distance_at_most_one(known.lower(), name.lower()):
                    return known
        return ""

    def resolve(self, who: str, appos: str = "") -> str:
        if not who:
            return ""
        if who.lower() in PRONOUNS:
            return self.last
        if who[0].islower() or not re.match(r"[A-Z][a-z]", who):
            return who  # a group ("analysts") or an acronym
        self.last = self._add(who, appos) if " " in who else (self.find(who) or who)
        return self.last


def _affiliation(appos: str) -> str:
    appos = (appos or "").strip()
    if " at " in appos:
        return appos.rsplit(" at ", 1)[1].strip()
    if appos.startswith("of "):
        return appos[3:].strip()
    return ""


def _quoted_pieces(paragraph: str) -> tuple[list[tuple[int, int]], bool]:
    """(start, end) of each quoted piece's inner text; True when the last quote stays open to the paragraph's end
    (a quotation carried over into the next paragraph)."""
    marks = [m.start() for m in re.finditer('"', paragraph)]
    pieces = [(marks[i] + 1, marks[i + 1]) for i in range(0, len(marks) - 1, 2)]
    open_at_end = len(marks) % 2 == 1
    if open_at_end:
        pieces.append((marks[-1] + 1, len(paragraph)))
    return pieces, open_at_end


def _clauses(text: str, offset: int) -> list[_Clause]:
    """The forward-looking clauses of a quoted piece or a reported clause, as spans of the whole text."""
    found = []
    for sentence_match in re.finditer(r"[^.!?]+(?:[.!?]+|$)", text):
        sentence = sentence_match.group(0)
        s_start = sentence_match.start()
        bounds, position = [], 0
        for cut in _CLAUSE.finditer(sentence):
            bounds.append((position, cut.start()))
            position = cut.end()
        bounds.append((position, len(sentence)))
        for i, (a, b) in enumerate(bounds):
            clause = sentence[a:b]
            stripped = clause.strip()
            hedge = hedge_in(stripped if i == len(bounds) - 1 else stripped + ".") if stripped else ""
            if stripped.endswith("?") or (i == len(bounds) - 1 and sentence.rstrip().endswith("?")):
                hedge = ""
            if not hedge or len(stripped.split()) < MIN_QUOTE_WORDS:
                continue
            lead = len(clause) - len(clause.lstrip())
            start = s_start + a + lead
            end = s_start + a + len(clause.rstrip())
            body = text[start:end]
            mid_sentence = body.endswith(",")
            while body and body[-1] in ",;: ":
                body, end = body[:-1], end - 1
            found.append(_Clause(offset + start, offset + end, hedge, mid_sentence and end + 2 >= len(text), start == 0))
    return found


def find_candidates(text: str, *, publisher: str = "") -> list[Candidate]:
    """Every proposed forecast in a normalized text, in the order they appear."""
    people = _People(text)
    group_name = f"Analysts cited by {publisher}" if publisher else "Analysts cited by the source"
    candidates: list[Candidate] = []
    carried_speaker, offset = "", 0
    for paragraph in text.split("\n\n"):
        p_start = text.index(paragraph, offset) if paragraph else offset
        offset = p_start + len(paragraph)
        # What lies outside quotation marks, blanked inside them (offsets kept).
        outside = re.sub(r'"[^"]*"', lambda m: " " * len(m.group(0)), paragraph)
        _follow_narrative(paragraph, outside, people)
        candidates += _reported_speech(paragraph, outside, p_start, people, group_name)
        found, speaker, explicit = _quotations(text, paragraph, p_start, people, carried_speaker)
        candidates += found
        if speaker:
            carried_speaker = speaker
        if explicit:
            people.last = speaker
    candidates.sort(key=lambda c: c.start)
    return candidates


def _follow_narrative(paragraph: str, outside: str, people: _People) -> None:
    """Narrative mentions ("…, Bennett noted") and introductions keep "he said" pointing at the right person."""
    for match in _NARRATIVE_SPEAKER.finditer(outside):
        if match.group("who").lower() not in PRONOUNS and people.find(match.group("who")):
            people.resolve(match.group("who"))
    for match in _INTRO.finditer(paragraph):
        people.last = people.find(match.group("name")) or people.last


def _reported_speech(paragraph: str, outside: str, p_start: int, people: _People, group_name: str) -> list[Candidate]:
    """`X said / noted / anticipated … that CLAUSE`: the first comma-separated part of the clause that looks forward."""
    candidates = []
    for match in _REPORTED.finditer(outside):
        clause_start = match.end()
        # The clause ends with its sentence; a "clause" longer than MAX_CLAUSE is no claim (and scanning to the
        # paragraph's end for each match would make a long paragraph quadratic).
        window = paragraph[clause_start : clause_start + MAX_CLAUSE]
        stop = re.search(r"[.!?](?:\s|$)", window)
        clause_end = clause_start + (stop.start() + 1 if stop else len(window))
        clause_text = paragraph[clause_start:clause_end]
        who = _group_or_name(match.group("who").strip())
        unnamed = who.lower() == "analysts"
        is_group = unnamed or (bool(re.search(rf"\b(?:{_GROUPS})$", who)) and not re.match(r"[A-Z][a-z]", who.split()[-1]))
        speaker = group_name if unnamed else (who if is_group else people.resolve(who))
        for a, b in _comma_parts(clause_text):
            chunk = clause_text[a:b].rstrip(".").strip()
            hedge = hedge_in(chunk)
            if hedge and len(chunk.split()) >= MIN_QUOTE_WORDS:
                start = p_start + clause_start + a
                flags = ["reported speech, not a direct quotation"]
                if is_group:
                    flags.append(f"an unnamed group ('{who}')")
                candidates.append(
                    Candidate(start, start + len(chunk), chunk, speaker, "", hedge, is_group=is_group, flags=flags)
                )
                break
    return candidates


def _comma_parts(clause: str) -> list[tuple[int, int]]:
    parts, position = [], 0
    for cut in re.finditer(r",\s+", clause):
        parts.append((position, cut.start()))
        position = cut.end()
    parts.append((position, len(clause)))
    return parts


def _group_or_name(who: str) -> str:
    """"On Friday, the regional water authority": the group's name starts after the words that are not part of it."""
    words = who.split()
    while len(words) > 1 and words[0][0].islower() and words[0] != "the" and not re.fullmatch(_GROUPS, words[-1]):
        words = words[1:]
    who = re.sub(r"^(?:the|The)\s+", "", " ".join(words))
    return who[0].upper() + who[1:] if who and who.split()[-1] != "analysts" else who


def _quotations(
    text: str, paragraph: str, p_start: int, people: _People, carried_speaker: str
) -> tuple[list[Candidate], str, bool]:
    """The forward-looking statements quoted in one paragraph; its speaker; whether the paragraph named them."""
    pieces, _ = _quoted_pieces(paragraph)
    speaker, affiliation, explicit = "", "", False
    for i, (a, b) in enumerate(pieces):
        # Matched in place (pos/endpos), not on slices: a paragraph of many quotations stays linear.
        after = _AFTER.match(paragraph, b + 1) if b < len(paragraph) else None
        before = _BEFORE.search(paragraph, max(0, a - 1 - MAX_ATTRIBUTION), a - 1) if i == 0 else None
        for match in (after, before):
            if match and not explicit:
                who = match.group("who") or match.group("who2")
                appos = match.group("appos") or match.group("appos2") or ""
                resolved = people.resolve(who, appos)
                if resolved:
                    speaker, explicit = resolved, True
                    organisation = (match.groupdict().get("org2") or "").rstrip(".")
                    affiliation = organisation or _affiliation(appos) or people.affiliation.get(resolved, "")
    flags = []
    if not explicit and pieces:
        if paragraph.lstrip().startswith('"') and carried_speaker:
            speaker = carried_speaker
            flags.append("speaker carried over from the previous paragraph")
        else:
            flags.append("no speaker found for this quotation")
    if not affiliation and speaker:
        affiliation = people.affiliation.get(speaker, "")

    statements = [
        _clauses(paragraph[a:b], p_start + a)
        for a, b in pieces
        # A phrase quoted in passing ("cannon fodder") is not a statement.
        if len(paragraph[a:b].split()) >= MIN_QUOTE_WORDS
    ]
    found = [
        Candidate(start, end, text[start:end], speaker, affiliation, hedge, flags=list(flags))
        for start, end, hedge in _run_on(statements)
    ]
    return found, (speaker if pieces else ""), explicit


def _run_on(pieces: list[list[_Clause]]) -> list[tuple[int, int, str]]:
    """(start, end, hedge) per statement: a clause that ends its piece mid-sentence (`…," he said. "…`) and whose
    continuation opens the next piece looking forward too is one statement with it."""
    merged: list[tuple[int, int, str]] = []
    open_statement = False
    for index, clauses in enumerate(pieces):
        for clause in clauses:
            if open_statement:
                merged[-1] = (merged[-1][0], clause.end, merged[-1][2])
                open_statement = False
                continue
            merged.append((clause.start, clause.end, clause.hedge))
            following = pieces[index + 1] if index + 1 < len(pieces) else []
            if clause.ends_piece_mid_sentence and clause is clauses[-1] and following and following[0].first_of_piece:
                open_statement = True
    if open_statement:
        merged.pop()
    return merged
