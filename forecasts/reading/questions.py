"""A question that can be resolved, built from a claim's parse: its subject and predicate, hedge words and modals
taken out, a pronoun subject replaced by the name it stands for, the deadline in words.

"The Russians are going to use them as cannon fodder" (22 October 2024) → "Will the Russians use them as cannon
fodder by 22 October 2025?". A rule, not a model: when the claim has no clause to build on, the question quotes
it and says so in a flag, for the reviewer to sharpen.
"""

import datetime as dt
import re

from forecasts.reading.nlp import lemma
from forecasts.reading.words import CHANCE_NOUNS

BE = {"is", "are", "was", "were", "'s", "'re", "be", "been", "being", "am", "'m"}
HAVE = {"has", "have", "had", "'ve", "'d"}
DO = {"does", "did", "do"}
SUBJECT_PRONOUNS = {"i", "we", "you", "he", "she", "it", "they", "this", "that", "these", "those", "one"}
WRAPPERS = {"going", "likely", "unlikely", "set", "expected", "poised", "bound", "certain", "sure", "due", "able",
            "projected", "forecast", "predicted", "on", "continue", "continues"}
DROP_ADVERBS = {"probably", "possibly", "perhaps", "likely", "certainly", "surely", "definitely", "also", "still",
                "inevitably", "maybe", "even", "eventually", "ultimately", "actually", "really", "then", "now",
                "too", "just", "gradually", "well", "however", "meanwhile", "therefore", "instead", "indeed",
                "again", "further", "furthermore", "only"}
THINK_VERBS = {"think", "believe", "suspect", "expect", "guess", "doubt", "reckon", "feel", "fear", "hope",
               "imagine", "predict", "know", "anticipate", "forecast", "foresee", "see", "say"}
_HEDGE_IN_QUESTION = re.compile(
    r"\b(?:likely|unlikely|probably|possibly|perhaps|maybe|could|might|may|would|expected to|set to|going to|"
    r"inevitabl[ey]|almost certain(?:ly)?|certain to|sure to|bound to|no doubt|chances?|probability|odds)\b")


_SOON = re.compile(r"\b(?:in the (?:near|short) (?:future|term)|any time soon|soon|shortly|in the coming months|"
                   r"before long)\b", re.IGNORECASE)


def in_words(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def question_for(claim, *, signal, speaker, registry, deadline: dt.date, quoted: bool = False,
                 offset: int = 0) -> tuple[str, list[str]]:
    """(question, flags): the claim as a yes/no question with its deadline; a flag when the question still holds a
    hedge word or a pronoun as its subject, or when it only quotes the claim.

    The question is built on the clause the forecast words belong to ("So that helps him, but he's also likely
    going to have major pushback" asks about the pushback). "He" in a quotation is somebody other than the speaker
    (the last person named before it); in reported speech ("Ortiz said he will …") it is the speaker."""
    context = _Context(speaker=speaker, registry=registry, quoted=quoted, offset=offset)
    built = _build(claim, signal=signal, context=context)
    when = in_words(deadline)
    if built is None:
        text = " ".join(t.text for t in claim).strip(" ,.;:\"")
        return f"By {when}, will this come true: “{_tidy(text)}”?"[:300], [
            "question quotes the claim: rewrite it as a yes/no question"
        ]
    subject, rest = built
    rest = _SOON.sub("", rest).strip(" ,")
    rest = re.sub(r"(?:\s*,)?\s+\b(?:by|in|before|until|within|over|during|through|from)$", "", rest).strip(" ,")
    question = f"Will {subject} {rest} by {when}?".replace("  ", " ")
    question = _tidy(question)
    if len(question) > 300:
        question = question[:290].rsplit(" ", 1)[0] + f" … by {when}?"
    return question, problems(question, subject)


def problems(question: str, subject: str) -> list[str]:
    found = []
    if _HEDGE_IN_QUESTION.search(question):
        found.append("the question still holds a hedge word: take it out")
    if subject.lower() in SUBJECT_PRONOUNS:
        found.append(f"the question's subject is a pronoun ('{subject}'): name who or what it means")
    return found


def is_clean(question: str) -> bool:
    """No hedge word, no pronoun subject, a deadline in words ("by 22 October 2025?")."""
    match = re.match(r"Will (\S+)", question)
    return (
        bool(match)
        and not _HEDGE_IN_QUESTION.search(question)
        and match.group(1).lower() not in SUBJECT_PRONOUNS
        and bool(re.search(r"by \d{1,2} [A-Z][a-z]+ \d{4}\?$", question))
    )


def _text(tokens, replaced=None) -> str:
    """Tokens as the article spaced them ("Kim Jong-un", "3%"), some words replaced ("fell" → "fall")."""
    replaced = replaced or {}
    if not tokens:
        return ""
    kept = {t.i for t in tokens}
    doc = tokens[0].doc
    # A word left out still leaves its space: "nuclear-armed, heavily" without the comma is two words.
    parts = [replaced.get(t.i, t.text) + t.whitespace_ if t.i in kept else t.whitespace_
             for t in doc[min(kept) : max(kept) + 1]]
    return re.sub(r"\s{2,}", " ", "".join(parts)).strip()


def _tidy(text: str) -> str:
    text = re.sub(r"\s+([,.;:!?%')\]])", r"\1", text)
    text = re.sub(r"([(\[$])\s+", r"\1", text)
    text = re.sub(r"\s+(n't|'s|'re|'ll|'ve|'d)\b", r"\1", text)
    text = text.replace('"', "")
    return re.sub(r"\s{2,}", " ", text).strip()


def _root(claim):
    inside = {t.i for t in claim}
    roots = [t for t in claim if t.head.i not in inside or t.head.i == t.i]
    verbs = [t for t in roots if t.pos_ in ("VERB", "AUX")]
    return (verbs or roots or [None])[0]


class _Context:
    def __init__(self, *, speaker, registry, quoted: bool, offset: int):
        self.speaker, self.registry, self.quoted, self.offset = speaker, registry, quoted, offset


def _clause_of(token, inside):
    """The verb whose clause a forecast word belongs to: "likely" → "going", "will" → "fall"."""
    node = token
    for _ in range(6):
        if node.pos_ in ("VERB", "AUX") and node.dep_ not in ("aux", "auxpass") and (
            any(c.dep_ in ("nsubj", "nsubjpass", "expl") for c in node.children) or node.head.i not in inside
            or node.head.i == node.i
        ):
            return node
        if node.head.i == node.i or node.head.i not in inside:
            return None
        node = node.head
    return None


def _build(claim, *, signal, context):
    speaker = context.speaker
    if not claim:
        return None
    inside = {t.i for t in claim}
    root = None
    if signal is not None and signal.token is not None and signal.token.i in inside:
        root = _clause_of(signal.token, inside)
    root = root or _root(claim)
    if root is None:
        return None
    # "I think (that) X", "I suspect we're going to see …", "there is a 70 percent chance that X": the claim is X.
    for _ in range(3):
        inner = _inner_clause(root, inside, speaker=speaker)
        if inner is None:
            break
        root = inner
    if root.pos_ not in ("VERB", "AUX"):
        # A noun phrase claim ("growth of about 0.1 percent in the third quarter"): is there such a thing by then?
        words = [t for t in root.subtree if t.i in inside and not _is_date(t)]
        if len(words) < 2:
            return None
        return "there be", _text(words)
    subject = next((c for c in root.children if c.dep_ in ("nsubj", "nsubjpass", "expl", "csubj")), None)
    if subject is None and root.dep_ in ("conj", "xcomp") and root.head.i in inside:
        subject = next((c for c in root.head.children if c.dep_ in ("nsubj", "nsubjpass", "expl")), None)
    if subject is None and root.dep_ == "pcomp":
        # "the bank has a 50-50 chance of raising rates": the bank raises them.
        holder = root.head.head.head  # raising → of → chance → has
        subject = next((c for c in holder.children if c.dep_ == "nsubj" and c.i in inside), None)
    inner = {t.i for t in root.subtree}
    if subject is None and root.dep_ in ("relcl", "acl"):
        # The noun the verb hangs on, up to the object it belongs to: "any of the largest banks (to fail)".
        subject = root.head
        while subject.dep_ in ("pobj", "prep") and subject.head.i in inside:
            subject = subject.head
    if subject is None:
        return None
    subject_text = _subject_text(subject, context=context,
                                 leave_out=inner if root.i in {t.i for t in subject.subtree} else frozenset())
    verb = root
    # "is going to use", "is likely to fall", "is expected to be completed", "continue to rise": the verb inside.
    chain = [verb]
    for _ in range(3):
        nxt = _wrapped_verb(verb)
        if nxt is None:
            break
        verb = nxt
        chain.append(verb)
    skip = {t.i for t in subject.subtree}
    if root.i in skip:  # the subject is the noun the verb hangs on
        skip -= inner
    drop = set()
    for node in chain:
        for child in node.children:
            if child.dep_ in ("aux", "auxpass", "neg") and child.i < verb.i and node is not verb or (
                child.dep_ in ("aux", "neg") and child.tag_ in ("MD",) or child.dep_ == "neg"
            ):
                drop.add(child.i)
            if child.dep_ == "advmod" and child.text.lower() in DROP_ADVERBS:
                drop.add(child.i)
            if child.dep_ == "mark" and child.text.lower() in ("that", "if", "whether"):
                drop.add(child.i)
        if node is not verb:
            drop.add(node.i)
    for child in verb.children:
        if child.dep_ == "aux" and child.text.lower() in ("to", "will", "'ll", "would", "could", "may", "might",
                                                         "shall", "should", "wo"):
            drop.add(child.i)
        if child.dep_ == "neg":
            drop.add(child.i)
    # What the question leaves out: words before the verb other than its subject (openers such as "Overall,",
    # "beyond financial compensation,"), and clauses that trail it ("…, with its troops given chances …",
    # "…, but Y could …", "…, as it continues to …").
    for node in chain:
        for child in node.children:
            if child.i < verb.i and child.i not in skip and child.dep_ not in ("aux", "auxpass", "neg") and child.i not in {
                    c.i for c in chain}:
                below = {t.i for t in child.subtree}
                drop |= {child.i} if verb.i in below else below
    for child in verb.children:
        trailing = child.dep_ in ("advcl", "parataxis") or child.dep_ == "conj" and any(
            g.dep_ in ("nsubj", "nsubjpass") for g in child.children) or child.dep_ == "prep" and child.text.lower() in (
            "with", "as") and any(g.pos_ in ("VERB", "AUX") or g.dep_ == "pcomp" for g in child.children)
        if trailing and child.i > verb.i:
            drop |= {t.i for t in child.subtree}
            drop |= {c.i for c in verb.children if c.dep_ in ("cc", "punct") and c.i > verb.i}
    words = []
    for t in sorted(root.subtree, key=lambda t: t.i):
        if t.i not in inside or t.i in skip or t.i in drop:
            continue
        if t.i < verb.i and (t.text.lower() in WRAPPERS or t.dep_ in ("aux", "auxpass", "acomp") and t.head in chain
                             or t.text.lower() == "to" and t.head in chain):
            continue
        if t.is_punct and t.i == max(inside):
            continue
        if t.text.lower() in DROP_ADVERBS and t.dep_ == "advmod":
            continue
        if t.dep_ in ("advmod", "npadvmod") and t.i < verb.i and t.head.text.lower() in WRAPPERS | RATINGS:
            continue  # "almost certain to", "highly unlikely to": the wrapper's own degree goes with it
        words.append(t)
    words = _without_dates(words)
    if not words:
        return None
    replaced, leave = {}, set()
    for t in words:
        if t.i == verb.i:
            # "is needed": a passive keeps its participle ("be needed"); "fell" becomes "fall".
            passive = verb.tag_ == "VBN" and any(c.dep_ == "auxpass" for c in verb.children)
            replaced[t.i] = verb.text if passive else _base(verb)
        elif t.dep_ in ("aux", "auxpass") and t.head.i == verb.i and t.text.lower() in BE | HAVE | DO and t.i < verb.i:
            # "will be completed": the passive's "be" stays; "has risen" becomes "rise".
            if t.text.lower() in BE and verb.tag_ == "VBN":
                replaced[t.i] = "be"
            else:
                leave.add(t.i)
    kept = [t for t in words if t.i not in leave]
    rest = _text(kept, replaced)
    if verb.tag_ == "VBN" and "be" not in replaced.values() and any(c.dep_ == "auxpass" for c in verb.children):
        rest = "be " + rest
    return subject_text, rest


def _inner_clause(root, inside, *, speaker=None):
    lower = root.text.lower()
    subject = next((c for c in root.children if c.dep_ in ("nsubj", "expl")), None)
    speaker_words = {w.lower() for w in (speaker.name if speaker else "").replace("(", " ").replace(")", " ").split()}
    if lower in THINK_VERBS or lemma(root) in THINK_VERBS:
        # "I think (that) X", "he expects X", "EIA expects X": the speaker's own belief verb; the claim is X.
        if subject is None or subject.pos_ == "PRON" or subject.text.lower() in speaker_words:
            inner = next((c for c in root.children if c.dep_ in ("ccomp", "xcomp") and c.i in inside), None)
            if inner is not None:
                return inner
            # "didn't expect any of the banks to fail", parsed with "fail" hung on "banks".
            for obj in (c for c in root.children if c.dep_ == "dobj"):
                inner = next((t for t in obj.subtree if t.dep_ in ("relcl", "acl") and t.pos_ == "VERB"
                              and any(a.text == "to" for a in t.children)), None)
                if inner is not None:
                    return inner
            # "We forecast gradual rises in underlying inflation": is there such a thing by then?
            obj = next((c for c in root.children if c.dep_ == "dobj" and c.i in inside and c.pos_ == "NOUN"), None)
            if obj is not None and lower not in ("think", "believe", "know", "say", "hope", "fear"):
                return obj
    # "she has no doubt that X", "she puts the odds of a rate hike at 40 percent", "the bank has a 50-50 chance of
    # raising rates": the claim is X, the hike, the raising.
    for obj in (c for c in root.children if c.dep_ == "dobj" and c.i in inside):
        if obj.text.lower() in ("doubt", "doubts", "confidence", "expectation", "expectations"):
            clause = next((c for c in obj.children if c.dep_ in ("ccomp", "acl") and c.pos_ in ("VERB", "AUX")), None)
            if clause is not None:
                return clause
        if obj.text.lower() in CHANCE_NOUNS:
            event = _chance_of(obj, inside)
            if event is not None:
                return event
    if lemma(root) in ("be", "is") or lower in BE:
        # "there is a 70 percent chance that X", "it is possible that X", "it is unlikely that X", "there is no way
        # the bank will …", "there is a 25 percent probability of a recession".
        for child in root.children:
            if child.dep_ in ("attr", "acomp", "ccomp"):
                kinds = ("ccomp", "acl", "csubj", "relcl") if child.text.lower() in CHANCE_NOUNS | {"way"} else (
                    "ccomp", "acl", "csubj")
                clause = next((c for c in child.subtree if c.dep_ in kinds and c.pos_ in ("VERB", "AUX")
                               and c.i in inside and c.i != child.i), None)
                if clause is not None and (subject is None or subject.dep_ == "expl" or subject.text.lower() == "it"):
                    return clause
                if child.text.lower() in CHANCE_NOUNS and (event := _chance_of(child, inside)) is not None:
                    return event
            if child.dep_ == "acomp" and child.text.lower() in RATINGS and subject is not None \
                    and subject.pos_ in ("NOUN", "PROPN") and not any(c.dep_ in ("xcomp", "ccomp") for c in child.children):
                return subject  # "a recession next year is almost certain": is there a recession by then?
        if subject is not None and subject.dep_ == "expl" or subject is not None and subject.text.lower() == "it":
            clause = next((c for c in root.children if c.dep_ == "ccomp" and c.i in inside), None)
            if clause is not None:
                return clause
    return None


RATINGS = {"certain", "likely", "unlikely", "inevitable", "probable", "possible", "sure", "imminent"}


def _chance_of(noun, inside):
    """What a chance is of: "a 25 percent probability of a recession" (the recession), "a 50-50 chance of raising
    rates" (the raising)."""
    of = next((c for c in noun.children if c.dep_ == "prep" and c.text.lower() == "of"), None)
    if of is None:
        return None
    return next((c for c in of.children if c.dep_ in ("pobj", "pcomp") and c.i in inside), None)


def _wrapped_verb(verb):
    lower = verb.text.lower()
    if lower in BE or lower in WRAPPERS or lemma(verb) in ("go", "continue", "set", "expect", "be"):
        for child in verb.children:
            if child.dep_ == "xcomp" and child.pos_ in ("VERB", "AUX"):
                return child
            if child.dep_ in ("acomp", "attr") and child.text.lower() in WRAPPERS | {"likely", "unlikely", "certain"}:
                inner = next((c for c in child.children if c.dep_ == "xcomp" and c.pos_ in ("VERB", "AUX")), None)
                if inner is not None:
                    return inner
            if child.dep_ == "prep" and child.text.lower() == "on":  # "on course to", "on track to"
                for grand in child.subtree:
                    if grand.dep_ in ("xcomp", "acl") and grand.pos_ == "VERB":
                        return grand
    return None


def _base(verb) -> str:
    lower = verb.text.lower()
    if lower in BE:
        return "be"
    if lower in HAVE:
        return "have"
    if lower in DO:
        return "do"
    if verb.tag_ in ("VB",):
        return verb.text
    return lemma(verb)


def _subject_text(subject, *, context, leave_out=frozenset()) -> str:
    speaker, registry = context.speaker, context.registry
    lower = subject.text.lower()
    if lower == "i":
        return speaker.name
    if lower == "we":
        return speaker.affiliation or speaker.name
    if lower in ("he", "she"):
        if not context.quoted and speaker.kind == "person":
            return speaker.name
        return registry.mentioned_before(context.offset + subject.idx, besides=speaker.name) or lower
    if lower == "it" and subject.dep_ != "expl":
        named = _nearest_noun(subject)
        return named or (registry.last_body.name if registry.last_body else "it")
    if lower in ("they", "these", "those"):
        named = _nearest_noun(subject, plural=True)
        return named or (registry.last_plural.name if registry.last_plural else lower)
    # "La Niña, which returned in August,": the subject without its relative clause or apposition.
    aside = {t.i for c in subject.children if c.dep_ in ("relcl", "appos", "acl") for t in c.subtree}
    words = [t for t in subject.subtree if (t.dep_ != "punct" or t.text in ("-", "'", "$", "%"))
             and t.i not in leave_out and t.i not in aside]
    text = _text(words)
    # "The Russians", "Prices" opening the quotation: lower case inside the question, names kept.
    if words and words[0].tag_ not in ("NNP", "NNPS") and not words[0].ent_type_ and not text[:2].isupper():
        text = text[0].lower() + text[1:]
    return text


def _nearest_noun(pronoun, *, plural: bool = False) -> str:
    """The nearest noun phrase before a pronoun, in its sentence or the one before: a simple rule, not a model."""
    doc = pronoun.doc
    for token in reversed(doc[max(0, pronoun.sent.start - 60) : pronoun.i]):
        if token.dep_ in ("nsubj", "nsubjpass", "dobj", "pobj") and token.pos_ in ("NOUN", "PROPN"):
            if plural and token.tag_ not in ("NNS", "NNPS"):
                continue
            if not plural and token.tag_ in ("NNS", "NNPS"):
                continue
            words = [t for t in token.subtree if t.i <= token.i and t.dep_ not in ("punct",) and t.pos_ != "PRON"]
            phrase = _text(words)
            return phrase if phrase[:1].isupper() and words[0].tag_.startswith("NNP") else phrase[:1].lower() + phrase[1:]
    return ""


def _is_date(token) -> bool:
    return token.ent_type_ == "DATE"


def _without_dates(words):
    """The claim's own time words go: the deadline says when, in words."""
    kept = []
    for t in words:
        if t.ent_type_ == "DATE":
            continue
        if t.dep_ == "prep" and any(c.ent_type_ == "DATE" for c in t.children) and all(
                c.ent_type_ == "DATE" for c in t.subtree if c.i != t.i):
            continue  # "by March 2026", "through the winter"
        kept.append(t)
    while kept and kept[-1].pos_ == "PUNCT":
        kept.pop()
    while kept and kept[-1].text.lower() in ("and", "or", "but", ","):
        kept.pop()
    return kept
