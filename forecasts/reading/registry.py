"""The people and bodies an article names, and how it names them: full names and surnames ("Mr Ortiz" → Luis
Ortiz), titles ("the Prime Minister" → Kevin Rudd), acronyms ("WHO" → World Health Organization), who was named
where (for "he" and "she"), who speaks next (for "a leading pollster says"), and who issued which report."""

import bisect
import re
from dataclasses import dataclass, field

from forecasts.reading.nlp import entity_at, sentence_of
from forecasts.reading.words import (
    ACRONYM_FILLERS, FORECAST_NOUNS, KNOWN_BODIES, PERSON_NOUNS, REVISING, SPEECH_VERBS, TITLES, WEAK,
)

MAX_BODIES = 500  # an article names a few dozen; past this (a pathological text) no more are learnt


@dataclass(frozen=True)
class Mention:
    offset: int
    name: str
    sentence: int  # where its sentence starts
    subject: bool  # the subject of its clause (or in apposition to it)
    quoted: bool = False  # named inside a quotation: somebody the speaker talks about, not who "he said" means


def _offset(mention: Mention) -> int:
    return mention.offset


@dataclass
class Speaker:
    name: str
    kind: str = "person"  # person, body or group
    affiliation: str = ""
    generic: bool = False
    members: tuple = ()  # "Kerry and Zarif": each their own speaker, each a forecast of their own
    via: str = ""  # the description the speaker was found through ("a leading analyst", "the report"), for review


@dataclass
class Registry:
    """The people and bodies an article names, in the order it names them."""

    by_surname: dict[str, str] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    bodies: dict[str, None] = field(default_factory=dict)  # the bodies named, in order (a dict: each once)
    affiliation: dict[str, str] = field(default_factory=dict)
    acronyms: dict[str, str] = field(default_factory=dict)
    people: list[Mention] = field(default_factory=list)  # every time a person is named or speaks, by offset
    bodies_named: list[tuple[int, str]] = field(default_factory=list)  # (offset in the text, body), in order
    offset: int = 0  # where the paragraph being read starts in the text
    last_person: Speaker | None = None
    last_body: Speaker | None = None
    last_plural: Speaker | None = None
    reports: list[tuple[int, Speaker]] = field(default_factory=list)  # (offset, who issued it), in order
    groups: dict[str, Speaker] = field(default_factory=dict)  # "officials" → "American officials", the last named
    speakers_ahead: list[tuple[int, str, int]] = field(default_factory=list)  # (offset, person, sentence start)
    _mixed: list[bool] = field(default_factory=list)  # whether speakers_ahead up to here holds two people or more

    def learn(self, doc, offset: int = 0) -> None:
        """Names, titles ("Prime Minister Kevin Rudd") and acronyms in one parsed paragraph (which starts at
        `offset` in the text), and the people it names as speakers."""
        signed, sentences = signed_on(doc), sentence_of(doc)
        for ent in doc.ents:
            if signed[ent.start]:
                continue
            if ent.label_ == "PERSON" and len(ent) >= 2:
                name = clean_name(ent)
                if name and len(name.split()) >= 2:
                    self.add_person(name)
                    self._learn_title(ent)
            elif ent.label_ == "ORG" and len(self.bodies) < MAX_BODIES:
                self.bodies.setdefault(strip_the(ent.text))
        for token in doc:
            # "Ana Ruiz, an economist at Banco Norte": a person, whatever the entity tagger thought.
            if token.dep_ == "appos" and token.text.lower() in PERSON_NOUNS | TITLES and token.head.tag_ == "NNP":
                run = [t for t in proper_run(token.head) if t.text.lower().strip(".") not in TITLES]
                if len(run) >= 2:
                    self.add_person(words_of(run), affiliation_of(token.head))
        for token in doc:
            revising = token.text.lower() in REVISING and any(
                c.dep_ == "dobj" and c.text.lower() in FORECAST_NOUNS for c in token.children)
            if (token.text.lower() in SPEECH_VERBS or revising) and token.tag_.startswith("VB") and (
                    token.text.lower() not in WEAK or any(c.dep_ in ("ccomp", "xcomp") for c in token.children)):
                subject = next((c for c in token.children if c.dep_ == "nsubj" and c.ent_type_ == "PERSON"), None)
                entity = subject is not None and entity_at(subject)
                if entity:
                    name = self.find_person(clean_name(entity)) or clean_name(entity)
                    if len(name.split()) >= 2:
                        self.speaks(offset + subject.idx, name, offset + sentences[subject.i].start_char)
        text = doc.text
        for match in re.finditer(r"\b((?:[A-Z]\.)*[A-Z](?:[\w-]+|\.)(?:\s+(?:[A-Z][\w-]+|of|on|for|and|the|de|in)){1,7})\s+\((?P<acr>[A-Z][A-Z.]{1,8})\)", text):
            self.acronyms.setdefault(match.group("acr").replace(".", ""), match.group(1))

    def mentioned_before(self, offset: int, *, besides: str = "") -> str:
        """The last person the text names before `offset`, other than `besides` (for "he" in a quotation)."""
        return next((m.name for m in self._before(offset) if m.name != besides), "")

    def _before(self, offset: int, *, limit: int = 200):
        """The mentions before `offset`, nearest first, at most `limit` of them: every look-up stays short, however
        many names a (pathological) text holds."""
        end = bisect.bisect_left(self.people, offset, key=_offset)
        for index in range(end - 1, max(-1, end - 1 - limit), -1):
            yield self.people[index]

    def mention(self, offset: int, name: str, *, sentence: int, subject: bool, quoted: bool = False) -> None:
        """A person named (or speaking) at `offset`, in the sentence that starts at `sentence`."""
        if name:
            bisect.insort(self.people, Mention(offset, name, sentence, subject, quoted), key=_offset)

    def person_for(self, offset: int, *, sentence: int) -> Speaker | None:
        """Who "he" or "she" at `offset` means: a person who is the subject earlier in the same sentence ("Ortiz
        said he …"); else, in the last sentence before it that names anybody, its subject, or failing one the last
        person it names ("… others, including James Glassman, the chief economist. He told VOA …"). A simple rule
        (no coreference model is on the package index); the draft says it was found through a pronoun."""
        before = [m for m in self._before(offset, limit=60) if not m.quoted]  # nearest first
        here = [m for m in before if m.sentence == sentence and m.subject]
        if here:
            return self._person(here[0].name)
        earlier = [m for m in before if m.sentence < sentence]
        if earlier:
            last = [m for m in earlier if m.sentence == earlier[0].sentence]
            subjects = [m for m in last if m.subject]
            return self._person((subjects or last)[0].name)
        return self.last_person

    def speaks(self, offset: int, name: str, sentence: int) -> None:
        """A named person who is the subject of a speech verb, in text order (learn() reads paragraphs in order)."""
        mixed = bool(self.speakers_ahead) and (self._mixed[-1] or self.speakers_ahead[0][1] != name)
        self.speakers_ahead.append((offset, name, sentence))
        self._mixed.append(mixed)

    def introduced_after(self, offset: int, *, next_sentence: int | None, within: int = 1_500) -> str:
        """The person a description stands for, named as the next speaker: the one who speaks in the very next
        sentence ("An eminent expert on elections agreed it will be difficult … Dr. Reginald Matchaba-Hove, a
        physician …, said …"), or, when nobody named has spoken before it, the first who speaks after it ("A leading
        pollster tells VOA he expects a close race. … Andrew Kohut, president of the Pew Research Center, said …":
        the lead's described speaker, named in the paragraphs that follow)."""
        ahead = self.speakers_ahead
        if next_sentence is not None:
            at = bisect.bisect_left(ahead, next_sentence, key=lambda entry: entry[0])
            if at < len(ahead) and ahead[at][2] == next_sentence:
                return ahead[at][1]
        at = bisect.bisect_right(ahead, offset, key=lambda entry: entry[0])
        first = ahead[at][1] if at < len(ahead) and ahead[at][0] <= offset + within else ""
        spoke_before = at > 0 and (self._mixed[at - 1] or ahead[0][1] != first)
        if spoke_before or any(m.subject and m.name != first for m in self._before(offset)):
            return ""  # somebody else spoke before: the description may be anybody's
        return first

    def report_owner(self, offset: int) -> Speaker | None:
        """Who issued the last report, study or outlook the article introduced before `offset`."""
        at = bisect.bisect_left(self.reports, offset, key=lambda entry: entry[0])
        return self.reports[at - 1][1] if at else None

    def _person(self, name: str) -> Speaker:
        return Speaker(name, affiliation=self.affiliation.get(name, ""))

    def add_person(self, name: str, affiliation: str = "") -> str:
        if not name.split():
            return ""  # "Lady", "Sir Gen": titles only, nobody named
        known = self.find_person(name)
        if known:
            return known
        surname = name.split()[-1].lower()
        self.by_surname.setdefault(surname, name)
        if "-" in surname:  # "Nouri al-Maliki" is "Maliki" too; the tokenizer cuts "Strauss-Kahn" at the hyphen
            self.by_surname.setdefault(surname.rsplit("-", 1)[-1], name)
        if affiliation:
            self.affiliation.setdefault(name, affiliation)
        return name

    def find_person(self, name: str) -> str:
        words = [w for w in name.split() if w.lower().strip(".") not in TITLES]
        if not words:
            return ""
        surname = words[-1].lower()
        known = self.by_surname.get(surname)
        if known and (len(words) == 1 or known.lower().endswith(" " + " ".join(words).lower())
                      or known.lower() == " ".join(words).lower()):
            return known  # "Ortiz", "Luis Ortiz", "Da Silva" for "Jose Graziano da Silva"
        # One letter apart is the same person: "Bennett" for the "Bruce Bennet" the article introduced.
        for other, person in list(self.by_surname.items())[:200]:
            if len(surname) > 4 and _one_edit(other, surname) and (len(words) == 1 or _one_edit(
                    person.lower(), " ".join(words).lower())):
                return person
        return ""

    def _learn_title(self, ent) -> None:
        """ "White House spokesman Tony Snow", "Prime Minister Kevin Rudd": the title words lead to the person."""
        words = []
        for token in reversed(list(ent.doc[max(0, ent.start - 5) : ent.start])):
            if token.dep_ == "compound" or token.tag_ in ("NNP", "NN", "JJ") and token.head.i >= ent.start:
                words.insert(0, token.text.lower())
            else:
                break
        name = self.find_person(clean_name(ent)) or clean_name(ent)
        words = [w for w in words if w not in ("former", "the", "a", "an")]
        for size in (1, 2, 3):
            if len(words) >= size:
                self.titles[" ".join(words[-size:])] = name
        # Appositions: "Joe Biden, the vice president of …" and "the vice president of …, Joe Biden".
        head = ent.root
        for other in [*head.children, head.head]:
            if (other.dep_ == "appos" or head.dep_ == "appos" and other.i == head.head.i) and (
                    other.pos_ == "NOUN" or other.text.lower() in TITLES | PERSON_NOUNS):
                title = [t.text.lower() for t in other.lefts if t.dep_ in ("compound", "amod")] + [other.text.lower()]
                self.titles.setdefault(" ".join(title[-2:]), name)
                self.titles.setdefault(other.text.lower(), name)

    def expand(self, name: str) -> str:
        """A body's name with its acronym, "International Monetary Fund (IMF)", whichever the article used: the
        article's own "(IMF)", the initials of a body it names, or a short list of bodies news quotes most."""
        bare = name.replace(".", "")
        known = KNOWN_BODIES.get(bare) or next((acr for acr, full in KNOWN_BODIES.items()
                                                if full.lower() == strip_the(name).lower()), None)
        if known and bare in KNOWN_BODIES:
            return f"{KNOWN_BODIES[bare]} ({bare})"
        if known:
            return f"{strip_the(name)} ({known})"
        if not re.fullmatch(r"[A-Z]{2,8}", bare):
            return name
        if bare in self.acronyms:
            return f"{self.acronyms[bare]} ({bare})"
        for body in self.bodies:
            initials = "".join(w[0] for w in body.split() if w.lower() not in ACRONYM_FILLERS)
            if initials.upper() == bare and len(body.split()) > 1:
                return f"{body} ({bare})"
        return name


_SIGN_ON = re.compile(r"^(?:This is|I'm|I am) (?:[A-Z][\w.'-]*\s+){1,4}(?:with|for|from|of|in|at) ")


def sign_on(sentence) -> bool:
    """A broadcaster's sign-on ("This is Bill White with the VOA Special English Environment Report."): the
    programme it names is nobody who forecasts anything. Read off its first words only."""
    return bool(_SIGN_ON.match(sentence[:10].text))


def signed_on(doc) -> list[bool]:
    """For each token of a paragraph, whether its sentence is a sign-on: one pass, not one per entity."""
    mask = [False] * len(doc)
    for sentence in doc.sents:
        if sign_on(sentence):
            mask[sentence.start : sentence.end] = [True] * len(sentence)
    return mask


def _one_edit(a: str, b: str) -> bool:
    if a == b or abs(len(a) - len(b)) > 1:
        return a == b
    if len(a) > len(b):
        a, b = b, a
    for i in range(len(a)):
        if a[i] != b[i]:
            return a[i + 1 :] == b[i + 1 :] or a[i:] == b[i + 1 :]
    return True


def strip_the(text: str) -> str:
    return re.sub(r"^(?:the|The)\s+", "", text).removesuffix("'s").removesuffix("'").strip()


def clean_name(span) -> str:
    words = [t for t in span if t.tag_ != "POS" and t.text not in ("'s", "'")]
    while words and (words[0].text.lower().strip(".") in TITLES or words[0].text.lower() == "the"):
        words = words[1:]
    # "Deputy Foreign Minister Chun Young-woo": the name after the title's last word.
    last_title = max((n for n, t in enumerate(words) if t.text.lower().strip(".") in TITLES), default=-1)
    if 0 <= last_title and len([t for t in words[last_title + 1 :] if t.text != "-"]) >= 2:
        words = words[last_title + 1 :]
    # "Ambassador to Zimbabwe Christopher Dell" tagged as one name: the place is where, not who.
    if len(words) >= 3 and words[0].i > 0 and words[0].doc[words[0].i - 1].text.lower() in ("to", "of", "in", "for"):
        words = words[1:]
    return words_of(words).strip(" ,.")


def words_of(tokens) -> str:
    """Tokens as the article wrote them, hyphens and all ("Jo Stewart-Rattray", not "Jo Stewart - Rattray"); a gap
    between tokens that are not neighbours is one space."""
    tokens = list(tokens)
    parts = []
    for token, following in zip(tokens, [*tokens[1:], None]):
        joint = token.whitespace_ if following is not None and following.i == token.i + 1 else " "
        parts.append(token.text + joint)
    return "".join(parts).strip()


def proper_run(token):
    """The proper-noun words that make up a name ending at `token`: "Luis Ortiz", "Mr Ortiz", "Chun Young-woo"."""
    doc = token.doc
    start = token.i
    while start > 0:
        if doc[start - 1].tag_ in ("NNP", "NNPS") and doc[start - 1].head.i in range(start, token.i + 1):
            start -= 1
        elif start > 1 and doc[start - 1].text == "-" and not doc[start - 2].whitespace_ and not doc[start - 1].whitespace_ \
                and doc[start - 2].tag_ in ("NNP", "NNPS"):
            start -= 2  # "Young-woo", cut at its hyphen by the tokenizer
        else:
            break
    return doc[start : token.i + 1]


def affiliation_of(token) -> str:
    """ "Jim Smith of Parsec Financial", "Ana Ruiz, an economist at Banco Norte" → the body."""
    for child in token.children:
        if child.dep_ == "prep" and child.text in ("of", "at", "from"):
            objects = [c for c in child.children if c.dep_ == "pobj"]
            if objects and objects[0].tag_ in ("NNP", "NNPS"):
                return words_of(t for t in objects[0].subtree if t.tag_ != "DT")
        if child.dep_ == "appos":
            for prep in child.children:
                if prep.dep_ == "prep" and prep.text in ("at", "of", "with", "for"):
                    objects = [c for c in prep.children if c.dep_ == "pobj"]
                    if objects and objects[0].tag_ in ("NNP", "NNPS"):
                        return words_of(t for t in objects[0].subtree if t.tag_ != "DT")
    return ""
