"""Reading an article for forecasts on a dependency parse. Pure text in, candidates out; no ORM.

One candidate per sentence and speaker (the unit a reviewer judges): a sentence whose claim — the clause a speech
or belief verb governs, or the quotation it attributes — looks forward (signals.forecast_signal). Quotations keep
their speaker across sentences and paragraphs until another speaker takes over; a quotation reopened at a
paragraph's start without its speaker named again carries the last one on (and says so in a flag). A sentence
with no attribution that looks forward right after a forecast of the same paragraph continues it.
"""

import bisect
import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field

import numpy

from forecasts.reading import attribution, questions, signals, words
from forecasts.reading.claims import MIN_CLAIM_WORDS, claim_of, dates_in, forecast, opens_with_pronoun_i
from forecasts.reading.deadlines import deadline_for, names_past
from forecasts.reading.nlp import entity_at, pipeline, sentence_of
from forecasts.reading.pieces import inside_mask, is_prose, is_teaser, paragraph_pieces, quoted_pieces, sentence_case
from forecasts.reading.registry import Registry, Speaker, sign_on, signed_on, strip_the

# A "sentence" longer than this is no sentence a person says (news sentences run to 60 words or so): it is not read,
# which keeps a pathological text (one clause nested in the next for pages) linear.
MAX_SENTENCE_TOKENS = 150
# More proposals than a reviewer can judge on one page are noise, or an attack (25 KB of "A will b c" quotations
# gave 1,786): the reader stops there, and the drafts page stays readable.
MAX_CANDIDATES = 300
_TRIM = " \t\n,;:\"'-–—"
# A transcript's speaker tag: "JOSE GRAZIANO DA SILVA:" (capitals, a name of one to five words).
_SPEAKER_TAG = re.compile(r"^(?P<who>[A-Z][A-Z.'-]+(?:\s+[A-Z][A-Z.'-]*){0,4}):")
_HEADLINE_SPEAKER = re.compile(r"^(?P<who>[A-Z][\w.&'-]*(?:\s+[A-Z][\w.&'-]*){0,4}):\s+(?P<claim>\S.*)$")


@dataclass
class Candidate:
    """One proposed forecast: a span of the text (the claim), who said it, how sure they were, and the question
    it becomes."""

    start: int
    end: int
    quote: str
    speaker: str
    affiliation: str = ""
    hedge_phrase: str = ""
    is_group: bool = False
    flags: list[str] = field(default_factory=list)
    phrase_row: str = ""  # the phrase table's row for the hedge words ("" when none matches)
    probability: float | None = None  # stated by the speaker (basis "stated")
    negated: bool = False
    question: str = ""
    resolve_by: dt.date | None = None
    deadline_words: str = ""
    who: Speaker | None = field(default=None, repr=False, compare=False)  # the speaker as read, for what follows

    @property
    def basis(self) -> str:
        return "stated" if self.probability is not None else "phrase"


@dataclass
class _Attribution:
    verb: object
    speaker: Speaker
    claim: list  # tokens
    pronoun: str = ""  # the speaker was found through "he", "she", "it" or "they"
    named: bool = True  # the subject names the speaker (a name, not "the team" or "the firm")


def read_article(text: str, *, publisher: str = "", published: dt.date | None = None, progress=None
                 ) -> list[Candidate]:
    """Every proposed forecast in a normalized text (text.normalize_text), in the order they appear.

    `progress`, if given, is called with the share of the work done (0 to 1): the parse is the first two thirds,
    called after each piece, and the reading the last third, called after each paragraph read (a job's time limit is
    enforced there, so it is checked all along). At most MAX_CANDIDATES are proposed."""
    published = published or dt.date.today()
    spans, offset = [], 0
    for paragraph in text.split("\n\n"):
        start = text.index(paragraph, offset) if paragraph else offset
        offset = start + len(paragraph)
        if paragraph.strip() and not is_teaser(paragraph, text):
            spans += [(at, piece) for at, piece in paragraph_pieces(start, paragraph) if is_prose(piece)]
    registry = Registry()
    reader = _Reader(text, registry, publisher=publisher, published=published)
    texts = [paragraph for _, paragraph in spans]
    if texts:
        texts[0] = sentence_case(texts[0], text)
    docs = []
    step = progress or (lambda share: None)
    nlp = pipeline()
    for batch in _batches(texts):
        for doc in nlp.pipe(batch, batch_size=len(batch)):
            # The tok2vec tensor (96 floats a token) is the parser's input, not the reader's: kept, it was most of
            # what an article's parse held in memory.
            doc.tensor = _NO_TENSOR
            docs.append(doc)
            step(len(docs) / len(texts) * 2 / 3)
    # Names and titles first, from the whole article: a headline's "Bernanke" and a later "the chairman" find the
    # person the body introduces.
    for (start, _), doc in zip(spans, docs):
        registry.learn(doc, start)
    for index, ((start, paragraph), doc) in enumerate(zip(spans, docs)):
        reader.paragraph(doc, start, headline=index == 0)
        step(2 / 3 + (index + 1) / len(docs) / 3)
        if len(reader.found) >= MAX_CANDIDATES:
            break
    return reader.found[:MAX_CANDIDATES]


# The parser works on a batch at once, and its working memory grows with the batch's length: batches are cut by
# characters, not by a count of texts (32 pieces of 5,000 dense characters peaked at 1.4 GB; 20,000 characters a
# batch keeps it near 200 MB, and news paragraphs of a few hundred characters still go 30 or more to a batch).
BATCH_CHARS = 20_000
_NO_TENSOR = numpy.empty((0,), dtype="float32")


def _batches(texts: list[str]):
    batch, size = [], 0
    for text in texts:
        if batch and size + len(text) > BATCH_CHARS:
            yield batch
            batch, size = [], 0
        batch.append(text)
        size += len(text)
    if batch:
        yield batch


class _Reader:
    def __init__(self, text: str, registry: Registry, *, publisher: str, published: dt.date):
        self.text, self.registry, self.publisher, self.published = text, registry, publisher, published
        self.found: list[Candidate] = []
        self.quote_speaker: Speaker | None = None  # who the last quotation belonged to
        self.sentences: list = []  # the paragraph's sentence of each token (nlp.sentence_of)
        self._by_sentence: dict[int, list] = {}  # the paragraph's attributions by their sentence's first token

    # --- one paragraph --------------------------------------------------------------------------------------
    def paragraph(self, doc, p_start: int, *, headline: bool) -> None:
        self.registry.offset = p_start
        text = doc.text
        pieces = quoted_pieces(text)
        inside = inside_mask(doc, pieces)
        signed, sentences = signed_on(doc), sentence_of(doc)
        self.sentences = sentences
        for ent in doc.ents:
            if ent.label_ == "PERSON" and ent.root.tag_ != "NNPS":  # "Africans" is nobody's name
                name = self.registry.find_person(ent.text) or ent.text
                self.registry.mention(p_start + ent.start_char, name, sentence=p_start + sentences[ent.start].start_char,
                                      subject=_is_subject(ent.root), quoted=inside[ent.start])
            elif ent.label_ == "ORG" and not signed[ent.start]:
                self.registry.bodies_named.append((p_start + ent.start_char, strip_the(ent.text)))
        for token in doc:
            if token.text.lower() in words.REPORT_NOUNS and token.pos_ == "NOUN" and not inside[token.i]:
                attribution.learn_report(token, self.registry, publisher=self.publisher)
            if token.text.lower() in words.GENERIC and not inside[token.i]:
                attribution.learn_group(token, self.registry)
            # A person the article names elsewhere, here missed by the entity tagger ("Ruiz spoke after the vote").
            if token.tag_ == "NNP" and token.ent_type_ != "PERSON" and token.dep_ != "compound":
                person = self.registry.by_surname.get(token.text.lower())
                if person:
                    self.registry.mention(p_start + token.idx, person, sentence=p_start + sentences[token.i].start_char,
                                          subject=_is_subject(token), quoted=inside[token.i])
        starts_quoted = text.lstrip().startswith('"')
        # A paragraph that opens with a quotation carries the last speaker on, whether or not the one before closed
        # its quote (outlets that print multi-paragraph quotations leave it open; others close and reopen it).
        carried = self.quote_speaker if starts_quoted else None
        attributions = self._attributions(doc, inside)
        self._by_sentence = {}
        for item in attributions:
            self._by_sentence.setdefault(sentences[item.verb.i].start, []).append(item)
        piece_speakers = self._piece_speakers(doc, text, pieces, attributions, carried)
        previous: Speaker | None = None
        for sentence in doc.sents:
            if len(sentence) > MAX_SENTENCE_TOKENS or sign_on(sentence):
                previous = None
                continue
            previous = self._sentence(doc, sentence, p_start, inside, pieces, piece_speakers, attributions, previous,
                                      headline=headline)
        named = [s for (s, _) in piece_speakers if s is not None]
        spoke = [a.speaker for a in attributions if a.named and not a.speaker.generic]
        if named:
            self.quote_speaker = named[-1]
        elif spoke:
            # "Experts such as Paul Salem predict 2015 will be difficult.\n\n"I think …"": what follows, quoted and
            # unattributed, is the last named speaker's.
            self.quote_speaker = spoke[-1]
        elif not pieces:
            self.quote_speaker = None if attributions else self.quote_speaker

    def _attributions(self, doc, inside) -> list[_Attribution]:
        found = []
        too_long = [False] * len(doc)
        for sentence in doc.sents:
            if len(sentence) > MAX_SENTENCE_TOKENS:
                too_long[sentence.start : sentence.end] = [True] * len(sentence)
        for token in doc:
            if inside[token.i] or too_long[token.i]:
                continue
            lower = token.text.lower()
            if token.ent_type_ == "PERSON" and token.ent_iob_ == "B" and token.dep_ in ("nsubj", "nsubjpass", "appos") \
                    or token.ent_type_ == "PERSON" and token.dep_ in ("nsubj", "nsubjpass", "appos"):
                # Somebody the narrative names as the doer: "he" next means them.
                person = self.registry.find_person(token.text)
                if person:
                    self.registry.last_person = Speaker(person, affiliation=self.registry.affiliation.get(person, ""))
            if lower == "according" and token.nbor(1).text.lower() == "to" if token.i + 1 < len(doc) else False:
                objects = [c for c in token.nbor(1).children if c.dep_ == "pobj"]
                if objects:
                    speaker = attribution.speaker_for(objects[0], self.registry, publisher=self.publisher)
                    if speaker:
                        sentence = token.sent
                        skip = {t.i for t in token.subtree} | {t.i for t in token.nbor(1).subtree}
                        claim = [t for t in sentence if t.i not in skip]
                        found.append(_Attribution(token, speaker, claim))
                        self._remember(speaker, token)
                continue
            if lower in words.BELIEF_ADJECTIVES and token.dep_ == "acomp":
                # "The Obama administration … is confident China will …"
                clause = [c for c in token.children if c.dep_ == "ccomp"]
                subject = attribution.subject_of(token.head)
                speaker = subject is not None and attribution.speaker_for(subject, self.registry, publisher=self.publisher)
                if clause and speaker:
                    found.append(_Attribution(token, speaker, sorted(clause[0].subtree, key=lambda t: t.i)))
                    self._remember(speaker, token)
                continue
            if lower in words.REVISING and token.pos_ == "VERB":
                # "Nokia has lowered its forecasts for …", "the IMF cut its forecast for global growth to 3.3%".
                objects = [c for c in token.children if c.dep_ == "dobj" and c.text.lower() in words.FORECAST_NOUNS]
                subject = attribution.subject_of(token)
                # What the forecast says, past the noun: "for global growth to 3.3%" (not "on Tuesday").
                content = objects and [t for t in token.sent if t.i > objects[0].i and not t.is_punct
                                       and t.ent_type_ not in ("DATE", "TIME") and t.dep_ != "prep"]
                speaker = content and subject is not None and attribution.speaker_for(
                    subject, self.registry, publisher=self.publisher)
                if speaker:
                    found.append(_Attribution(objects[0], speaker, [t for t in token.sent if t.i > token.i]))
                    self._remember(speaker, token)
                continue
            if lower not in words.SPEECH_VERBS:
                continue
            if not token.tag_.startswith("VB"):
                # "EIA forecasts that …", "EIA forecasts U.S. prices to average …", parsed as a noun: a name at the
                # sentence's start, then the verb, then no verb of its own.
                if not (token.tag_ in ("NNS", "NN") and token.i + 1 < len(doc) and token.i > 0
                        and doc[token.i - 1].tag_ in ("NNP", "NNPS") and doc[token.i - 1].i <= token.sent.start + 1
                        and doc[token.i + 1].pos_ not in ("AUX", "VERB") and doc[token.i + 1].tag_ != "POS"):
                    continue
                speaker = attribution.speaker_for(doc[token.i - 1], self.registry, publisher=self.publisher)
                if speaker:
                    clause = [t for t in token.sent if t.i > token.i + 1]
                    found.append(_Attribution(token, speaker, clause))
                    self._remember(speaker, token)
                continue
            if lower in words.WEAK and not self._weak_ok(token):
                continue
            if signals.cannot(token):
                continue  # "it is impossible to predict where …": nobody forecasts anything
            subject = attribution.subject_of(token)
            if subject is None or inside[subject.i]:
                continue
            if subject.dep_ == "nsubjpass" and lower in words.PREDICTIVE:
                # "growth is expected to …": nobody named, unless "… by the IMF".
                agent = next((c for c in token.children if c.dep_ == "agent"), None)
                named = agent is not None and next((c for c in agent.children if c.dep_ == "pobj"), None)
                speaker = named is not None and named and attribution.speaker_for(
                    named, self.registry, publisher=self.publisher)
                if speaker:
                    claim = sorted([t for t in subject.subtree] + [t for c in token.children if c.dep_ == "xcomp"
                                                                   for t in c.subtree], key=lambda t: t.i)
                    found.append(_Attribution(token, speaker, claim))
                    self._remember(speaker, token)
                continue
            speaker = attribution.speaker_for(subject, self.registry, publisher=self.publisher)
            if speaker is None:
                continue
            pronoun = subject.text.lower() if subject.pos_ == "PRON" else ""
            # Named in the subject: "Ortiz", "the IMF", "Experts such as Paul Salem" (not "the team", "the firm").
            named = subject.pos_ == "PROPN" or subject.ent_type_ in ("PERSON", "ORG", "GPE", "NORP") or bool(
                speaker.name) and speaker.name.split()[-1] in {t.text for t in subject.subtree}
            found.append(_Attribution(token, speaker, claim_of(token), pronoun, named))
            self._remember(speaker, token)
        return found

    def _weak_ok(self, verb) -> bool:
        lower = verb.text.lower()
        following = [t for t in verb.doc[verb.i + 1 : verb.i + 8] if t.sent.start == verb.sent.start]
        mark = next((n for n, t in enumerate(following) if t.text == '"'), None)
        if mark is not None and lower not in ("call", "calls") and not any(
                t.pos_ in ("VERB", "AUX") for t in following[:mark]):
            return True  # 'Pace stated "We do have …"', 'Jenkins stated during an interview, "I have …"'
        if lower in ("call", "calls"):
            return any(c.dep_ == "prep" and c.text == "for" for c in verb.children)
        if lower in ("point", "points", "pointed"):
            return any(c.dep_ == "prep" and c.text == "out" or c.dep_ == "prt" for c in verb.children)
        if lower in ("see", "sees", "saw"):
            # "she sees the economy accelerating this year"
            return any(c.dep_ in ("ccomp", "xcomp") or c.dep_ == "dobj" and any(g.dep_ == "acl" for g in c.children)
                       for c in verb.children)
        return any(c.dep_ in ("ccomp",) for c in verb.children)

    def _remember(self, speaker: Speaker, verb) -> None:
        """Who spoke last, of each kind: "he", "it" and "they" next may mean them."""
        if speaker.generic or speaker.kind == "group":
            self.registry.last_plural = speaker
        elif speaker.kind == "person":
            self.registry.last_person = speaker
            for member in speaker.members or (speaker,):
                self.registry.mention(self.registry.offset + verb.idx, member.name, subject=True,
                                      sentence=self.registry.offset + verb.sent.start_char)
        else:
            self.registry.last_body = speaker

    def _piece_speakers(self, doc, text, pieces, attributions, carried):
        """The speaker of each quoted piece: the attribution in its own sentences, else the one next to it (up to 60
        characters after it or 200 before); else who introduces it; else the last named speaker of the paragraph; a
        paragraph that opens with a quotation and names nobody carries one on. Each piece looks only at the
        attributions of its sentences and of its window (bisect), so a paragraph of a thousand quotations and a
        thousand attributions stays linear."""
        sentences = self.sentences
        by_sentence: dict[int, list] = {}
        for item in attributions:
            by_sentence.setdefault(sentences[item.verb.i].start, []).append(item)
        by_place = sorted(attributions, key=lambda item: item.verb.idx)
        places = [item.verb.idx for item in by_place]
        starts = [token.idx for token in doc]
        result = []
        last_named: Speaker | None = None
        for a, b in pieces:
            first, last = bisect.bisect_left(starts, a), bisect.bisect_left(starts, b)
            touched = {sentences[i].start for i in range(max(0, first - 1), min(len(doc), last + 1))
                       if sentences[i].start_char <= b and sentences[i].end_char >= a}
            own_items = [item for start in sorted(touched) for item in by_sentence.get(start, ())]
            window = by_place[bisect.bisect_left(places, a - 200) : bisect.bisect_right(places, b + 60)]
            near = {id(item): item for item in [*own_items, *window]}.values()
            distance = lambda item: item.verb.idx - b if item.verb.idx >= b else a - item.verb.idx  # noqa: E731
            near = [item for item in near if item in own_items or 0 <= item.verb.idx - b <= 60
                    or 0 <= a - item.verb.idx <= 200]
            # An attribution in the quotation's own sentences comes first ('Yellen told Time: "…" She said …').
            introducer = None if near else self._introducer(doc, text, a)
            if near:
                nearest = min([i for i in near if i in own_items] or near, key=distance)
                speaker = nearest.speaker
                result.append((speaker, _through(nearest.pronoun)))
                last_named = speaker
            elif introducer is not None:
                result.append((introducer, ""))
                last_named = introducer
            elif last_named is not None:
                result.append((last_named, ""))
            elif carried is not None:
                result.append((carried, "speaker carried over from the previous paragraph"))
            else:
                result.append((None, "no speaker found for this quotation"))
        return result

    def _introducer(self, doc, text: str, start: int) -> Speaker | None:
        """Who a quotation is introduced with, when no speech verb names them: "JOSE GRAZIANO DA SILVA: "…"" (a
        transcript's tag), "Martin McGuinness, the Deputy First Minister, gave his reaction, "…"" (the subject of
        the clause the quotation follows). `text` is the paragraph's (doc.text builds it anew on every call)."""
        at = start - 2  # the character before the opening mark
        while at >= 0 and text[at].isspace():
            at -= 1
        if at < 0 or text[at] not in ",:":
            return None
        if text[at] == ":" and at < 80:
            tag = _SPEAKER_TAG.match(text[: at + 1])
            if tag and text[:at].strip() == tag.group("who").strip():
                name = " ".join(w.capitalize() if len(w) > 1 else w for w in tag.group("who").split())
                return Speaker(self.registry.find_person(name) or self.registry.add_person(name))
        span = doc.char_span(at, at + 1, alignment_mode="expand")
        if span is None or len(self.sentences[span[0].i]) > MAX_SENTENCE_TOKENS:
            return None
        before = [t for t in self.sentences[span[0].i] if t.idx <= at]
        # The clause the quotation follows, in its own sentence: its verb and that verb's subject.
        verbs = [t for t in before if t.pos_ in ("VERB", "AUX") and any(
            c.dep_ in ("nsubj", "nsubjpass") and c.idx <= at for c in t.children)]
        if not verbs:
            return None
        subject = next(c for c in verbs[-1].children if c.dep_ in ("nsubj", "nsubjpass"))
        if subject.pos_ == "PRON":
            return None
        return attribution.speaker_for(subject, self.registry, publisher=self.publisher)

    # --- one sentence ---------------------------------------------------------------------------------------
    def _sentence(self, doc, sentence, p_start, inside, pieces, piece_speakers, attributions, previous, *, headline):
        made: list[Candidate] = []
        sentences = self.sentences
        here = self._by_sentence.get(sentence.start, [])
        for item in here:
            claim = [t for t in item.claim if sentences[t.i].start == sentence.start]
            if not claim:
                continue
            if any(other is not item and other.verb.i in {t.i for t in claim} and other.speaker.name != item.speaker.name
                   and not other.speaker.generic and other.named for other in here):
                continue  # "the correspondent reports that the survey predicts …": the survey said it (not "…, says
                # Gordon Oluoch, the team expects …": a team described is no name to give the claim to)
            if not item.named and any(other is not item and other.named and item.verb.i in {t.i for t in other.claim}
                                      and other.speaker.name != item.speaker.name for other in here):
                continue  # "…, says Gordon Oluoch, …, the team expects …": the named speaker's claim
            if all(inside[t.i] for t in claim if not t.is_punct):
                continue  # the quotation's own channel reads it
            inner = [o for o in here if o is not item and o.verb.i in {t.i for t in claim}]
            if item.speaker.generic and inner:
                continue  # the named speaker inside reads it
            if len([t for t in claim if not t.is_punct]) < MIN_CLAIM_WORDS - 1:
                continue
            signal = forecast(claim, item.speaker, quoted=False, speech_verb=item.verb)
            if signal is None:
                continue
            flags = ["reported speech"] + ([_through(item.pronoun)] if item.pronoun else [])
            said_when = next((w for w in _when_said(item.verb, claim) if names_past(w, self.published)), "")
            if said_when:
                flags.append(f"said in the past ('{said_when}'): an old forecast, perhaps settled already; its time "
                             "words count from then")
            made.append(self._candidate(claim, item.speaker, signal, p_start, flags=flags))
        # Only the pieces this sentence touches (a paragraph of a thousand quotations stays linear).
        touching, n = [], bisect.bisect_right([end for _, end in pieces], sentence.start_char)
        while n < len(pieces) and pieces[n][0] < sentence.end_char:
            touching.append((n, pieces[n]))
            n += 1
        for n, (a, b) in touching:
            speaker, flag = piece_speakers[n]
            tokens = [t for t in sentence if inside[t.i] and a <= t.idx < b]
            words = [t for t in tokens if not t.is_punct]
            if len(words) < MIN_CLAIM_WORDS:
                continue
            if speaker is None:
                # A quotation nobody is named for: still a draft, for the reviewer to name the speaker or reject.
                if any(inside[t.i] for t in doc if t.i < tokens[0].i) or attributions:
                    continue
                speaker = Speaker("", kind="person")
            signal = forecast(tokens, speaker, quoted=True)
            if signal is None:
                continue
            made.append(self._candidate(tokens, speaker, signal, p_start, flags=[flag] if flag else []))
        if not made and not here and previous is not None and not any(inside[t.i] for t in sentence):
            signal = signals.forecast_signal(list(sentence))
            if signal is not None and len(sentence) >= MIN_CLAIM_WORDS + 1 and not opens_with_pronoun_i(sentence):
                made.append(self._candidate(list(sentence), previous, signal, p_start,
                                            flags=["no attribution in this sentence: continues the one before"]))
        if not made and headline:
            made += self._headline(doc, sentence, p_start)
        # "Kerry and Zarif say a deal is possible": a forecast each (one item per sentence and speaker).
        made = [dataclasses.replace(c, speaker=m.name, affiliation=m.affiliation, who=m, is_group=m.kind == "group")
                for c in made for m in (c.who.members if c.who is not None and c.who.members else (c.who,))] \
            if any(c.who is not None and c.who.members for c in made) else made
        kept, seen = [], set()
        for candidate in made:
            if candidate.speaker in seen:
                continue
            seen.add(candidate.speaker)
            kept.append(candidate)
        self.found += kept
        return kept[-1].who if kept else None

    def _headline(self, doc, sentence, p_start) -> list[Candidate]:
        match = _HEADLINE_SPEAKER.match(sentence.text)
        if not match:
            return []
        who = match.group("who")
        if who.lower() in words.GENERIC:
            return []  # "Analysts: …" names nobody
        speaker = Speaker(self.registry.expand(who), kind="body")
        tokens = [t for t in sentence if t.idx >= sentence.start_char + match.start("claim")]
        signal = signals.forecast_signal(tokens)
        return [self._candidate(tokens, speaker, signal, p_start, flags=["headline"])] if signal else []

    def _candidate(self, tokens, speaker: Speaker, signal, p_start: int, *, flags: list[str]) -> Candidate:
        tokens = sorted(tokens, key=lambda t: t.i)
        # The claim's own words: no stray punctuation at either end (the full stop after "according to X").
        while len(tokens) > 1 and tokens[-1].is_punct and tokens[-1].text not in ('"', "'", "?"):
            tokens = tokens[:-1]
        while len(tokens) > 1 and tokens[0].is_punct:
            tokens = tokens[1:]
        start = tokens[0].idx
        end = tokens[-1].idx + len(tokens[-1].text)
        # The article's own characters (a headline is parsed in sentence case, of the same length).
        doc = tokens[0].doc
        paragraph = self.text[p_start : p_start + doc[-1].idx + len(doc[-1].text_with_ws)]
        while start < end and paragraph[start] in _TRIM:
            start += 1
        while end > start and paragraph[end - 1] in _TRIM:
            end -= 1
        flags = list(flags)
        if speaker.via:
            flags.append(f"speaker found through '{speaker.via}': check who it means")
        if speaker.generic:
            flags.append("an unnamed group: name who said it, or reject")
        if signal.negated:
            flags.append(f"negated ('{signal.words}'): the question asks the plain event, with a low probability")
        if signal.probability is not None:
            flags.append(f"probability stated by the speaker: '{signal.words}'")
        elif not signal.row:
            flags.append(f"no phrase-table row for “{signal.words}”: give a judged probability and a note")
        claim = [t for t in tokens if start <= t.idx < end]
        condition = signals.condition_of(signal, claim)
        if condition:
            flags.append(f"conditional ('{condition[:80]}'): it comes true only if that happens; put the condition "
                         "in the question or reject")
        dates = dates_in(claim)
        deadline = deadline_for(dates, self.published, text=paragraph[start:end])
        if deadline.note:
            flags.append(deadline.note)
        elif deadline.default:
            flags.append("no deadline in the claim: publication + 12 months")
        question, problems = questions.question_for(
            claim, signal=signal, speaker=speaker, registry=self.registry, deadline=deadline.date,
            quoted="reported speech" not in flags, offset=p_start,
        )
        flags += problems
        candidate = Candidate(
            start=p_start + start, end=p_start + end, quote=paragraph[start:end], speaker=speaker.name,
            affiliation=speaker.affiliation, hedge_phrase=signal.words, is_group=speaker.kind == "group" or speaker.generic,
            flags=flags, phrase_row=signal.row, probability=signal.probability, negated=signal.negated,
            question=question, resolve_by=deadline.date, deadline_words=deadline.expression, who=speaker,
        )
        return candidate


def _is_subject(token) -> bool:
    """The subject of its clause, or a name in apposition to it ("the economist, Ana Ruiz, said"); not a subject
    inside what somebody said ("Burns says the bulk of them are Africans": Burns)."""
    subject = token.dep_ in ("nsubj", "nsubjpass") or token.dep_ == "appos" and token.head.dep_ in ("nsubj", "nsubjpass")
    return subject and not attribution.reported(token)


def _when_said(verb, claim) -> list[str]:
    """The time expressions on a speech verb itself, not in its claim: "In 2019, Maria Lopez predicted …"."""
    inside = {t.i for t in claim}
    found = []
    for child in verb.children:
        if child.i in inside:
            continue
        dated = [t for t in child.subtree if t.ent_type_ == "DATE" and t.ent_iob_ == "B"]
        for token in dated[:1]:
            entity = entity_at(token)
            found.append(f"{child.text} {entity.text}" if child.dep_ == "prep" else entity.text)
    return found


def _through(pronoun: str) -> str:
    return f"speaker found through '{pronoun}': check who it means" if pronoun else ""


