"""Is a claim a forecast, and how sure is its speaker? Read off the parsed claim: modal and future forms, hedge
words, stated probabilities, negation. Pure functions on spaCy tokens; no ORM.

Every hedge is given as one of the phrase table's rows where the meaning matches (seeds/phrases.yaml):
"'ll" is "will", "set to" and "on course to" are "likely", "inevitable" is "almost certainly", "doubt" is
"unlikely". A negated forecast ("won't", "unlikely to X", "I doubt X will") is read as the question X with a low
probability, never as the opposite question.
"""

import re
from dataclasses import dataclass, field

from forecasts.reading.nlp import entity_at
from forecasts.reading.words import BELIEF_VERBS, CHANCE_NOUNS

WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "a": 1, "an": 1, "twenty": 20, "hundred": 100, "thousand": 1000,
}
_NUMBER = r"(\d+(?:\.\d+)?|" + "|".join(WORDS) + r")"
_CHANCE = r"(?:chance|chances|probability|likelihood|odds|risk|possibility)"
_PERCENT = re.compile(
    rf"(?<![\w.])(\d{{1,3}}(?:\.\d+)?)\s*(?:%|per\s?cent\b|percent\b)(?:\s+\w+){{0,2}}?\s+{_CHANCE}\b"
    rf"|\b{_CHANCE}\s+(?:\w+\s+){{0,12}}?(?:is|are|was|at|of)\s+(?:about\s+|around\s+|roughly\s+)?"
    rf"(\d{{1,3}}(?:\.\d+)?)\s*(?:%|per\s?cent\b|percent\b)",
    re.IGNORECASE,
)
_ONE_IN = re.compile(rf"\b{_NUMBER}[- ]in[- ]{_NUMBER}\s+{_CHANCE}\b"
                     rf"|\b{_CHANCE}\s+(?:\w+\s+){{0,12}}?(?:is|are|was|at)\s+{_NUMBER}[- ]in[- ]{_NUMBER}\b", re.IGNORECASE)
_FIFTY_FIFTY = re.compile(r"\bfifty[- ]fifty\b|\b50[- ]50\b|\beven odds\b|\bcoin[- ]?flip\b", re.IGNORECASE)
# "a chance of 5% growth": a word after the percent that names what grows, not how likely it is.
_SIZE_AFTER = re.compile(r"\s*(?!(?:that|or|and|to|of|for|in|on|by|this|next|chance|probability|likelihood|odds)\b)[a-z]",
                         re.IGNORECASE)
_SHARE_BEFORE = re.compile(r"\b(?:split|divided|shared|evenly|down\s+the\s+middle)\s+(?:\w+\s+){0,1}$", re.IGNORECASE)

# Words that make a clause look forward, with the phrase-table row each is read as ("" when none matches: the
# reviewer gives a probability). Longest first, so "very likely" is not read as "likely".
PHRASES = {
    "almost certainly": "almost certainly", "almost certain": "almost certainly", "virtually certain": "almost certainly",
    "inevitable": "almost certainly", "inevitably": "almost certainly", "bound to": "almost certainly",
    "certain to": "almost certainly", "sure to": "almost certainly", "no doubt": "almost certainly",
    "very likely": "very likely", "highly likely": "very likely", "most likely": "very likely",
    "very probably": "very likely", "highly probable": "very likely",
    "realistic possibility": "realistic possibility", "good chance": "realistic possibility",
    "very unlikely": "unlikely", "highly unlikely": "unlikely", "unlikely": "unlikely", "doubt": "unlikely",
    "doubted": "unlikely", "little prospect": "unlikely", "little prospects": "unlikely", "no prospect": "unlikely",
    "few prospects": "unlikely",
    "doubts": "unlikely", "doubtful": "unlikely", "little chance": "unlikely", "slim chance": "unlikely",
    "slim chances": "unlikely",
    "no chance": "almost no chance", "almost no chance": "almost no chance", "impossible": "almost no chance",
    "no way": "almost no chance",
    "likeliest": "likely", "likely": "likely", "probably": "likely", "probable": "likely", "set to": "likely",
    "on course to": "likely", "on track to": "likely", "poised to": "likely", "expected to": "likely",
    "expect": "likely", "expects": "likely", "expected": "likely", "expecting": "likely", "anticipate": "likely",
    "anticipates": "likely", "anticipated": "likely", "predict": "will", "predicts": "will", "predicted": "will",
    "predicting": "will", "forecast": "will", "forecasts": "will", "forecasting": "will", "foresee": "will",
    "foresees": "will", "project": "will", "projects": "will", "projected": "will",
    "projected to": "likely", "forecast to": "likely", "predicted to": "likely",
    "due to": "likely", "to come": "will", "decided to": "", "potential for": "possible", "any time soon": "will", "soon": "will",
    "confident": "likely", "optimistic": "likely", "convinced": "very likely", "certain": "almost certainly",
    "sure": "almost certainly", "going to": "going to", "gonna": "going to", "will": "will", "'ll": "will", "shall": "will", "wo": "will",
    "would": "will", "could": "could", "may": "may", "might": "might", "should": "likely", "possible": "possible", "possibly": "possible",
    "maybe": "possible", "not impossible": "possible", "possibility of": "possible", "possibility that": "possible", "can't imagine": "unlikely", "cannot imagine": "unlikely",
    "ca n't imagine": "unlikely",
}
# Said with "would", these are the speaker's manners, not a forecast: "I would caution", "one would expect".
_POLITE = {"caution", "say", "expect", "like", "think", "argue", "suggest", "guess", "imagine", "have", "hope",
           "urge", "add", "note", "love", "prefer", "rather", "welcome", "want", "recommend", "advise", "seem",
           "appear", "argue"}
_UNKNOWABLE = {"predict", "say", "tell", "know", "forecast", "foresee", "determine", "estimate", "gauge", "confirm",
               "verify", "prove", "judge", "rule", "assess", "quantify"}
_VERB_ONLY = {"project", "projects", "projected", "projecting", "expect", "expects", "expected", "expecting", "anticipate", "anticipates", "anticipated", "predict",
              "predicts", "predicted", "predicting", "forecast", "forecasts", "forecasting", "foresee", "foresees",
              "doubt", "doubts"}
_ADVERB_ONLY = {"probably", "likely", "possibly", "maybe", "inevitably", "almost certainly", "very likely",
                "most likely", "very probably", "soon", "any time soon"}
# A negated forecast is the question of the plain one with the probability of these rows.
NEGATED = {"will": "unlikely", "going to": "unlikely", "likely": "unlikely", "very likely": "unlikely",
           "almost certainly": "unlikely", "could": "unlikely", "may": "realistic possibility",
           "might": "realistic possibility", "possible": "unlikely"}
_MODALS = {"will", "wo", "'ll", "shall", "would", "could", "may", "might", "should", "ll"}


@dataclass(frozen=True)
class Signal:
    """Why a claim reads as a forecast: the words (as written), the phrase-table row they map to, a stated
    probability (basis `stated`), and whether the claim is negated (the question asks the plain event)."""

    words: str
    row: str
    probability: float | None = None
    negated: bool = False
    token: object = field(default=None, compare=False)  # the word the forecast hangs on, for the question

    @property
    def basis(self) -> str:
        return "stated" if self.probability is not None else "phrase"


def stated_probability(text: str) -> tuple[str, float] | None:
    """ "a 70 per cent chance", "70% probability", "one in three chance", "fifty-fifty" → (words, probability).

    Not "a good chance of 5% growth" (the 5% is the growth's size) nor "voters are split 50-50" (a share)."""
    for match in _PERCENT.finditer(text):
        value = float(match.group(1) or match.group(2))
        if 0 <= value <= 100 and not (match.group(2) and _SIZE_AFTER.match(text, match.end())):
            return match.group(0), round(value / 100, 4)
    match = _ONE_IN.search(text)
    if match:
        top, bottom = (_number(g) for g in match.groups() if g is not None)
        if top and bottom and top <= bottom:
            return match.group(0), round(top / bottom, 4)
    for match in _FIFTY_FIFTY.finditer(text):
        if not _SHARE_BEFORE.search(text, 0, match.start()):
            return match.group(0), 0.5
    return None


def _number(word: str) -> float | None:
    word = word.lower()
    try:
        return float(word)
    except ValueError:
        return WORDS.get(word)


# Adverbs that negate as "not" does: "prices will hardly fall".
_NEGATING_ADVERBS = {"hardly", "scarcely", "barely"}
# Subjects that deny a belief: "nobody believes", "few people think", "none of them expects".
_NOBODY = {"nobody", "noone", "none", "neither"}
_FALSE = {"false", "untrue", "wrong", "nonsense", "mistaken"}


def _negated(token) -> bool:
    """Negation on the word itself or on the verb it serves ("won't", "did not expect", "never will", "will hardly
    fall", "will no longer"), counted: "won't not" is no negation. "will not fall until 2027" says when it falls,
    not that it does not."""
    heads = [token, token.head] if token.dep_ in ("aux", "auxpass", "advmod", "acomp", "xcomp") else [token]
    count = sum(_negating(child) for head in heads for child in head.children)
    if count % 2 and any(c.dep_ == "prep" and c.text.lower() in ("until", "till") and any(
            g.ent_type_ == "DATE" for g in c.subtree) for head in heads for c in head.children):
        return False
    return count % 2 == 1


def _negating(word) -> bool:
    lower = word.text.lower()
    return word.dep_ == "neg" or word.dep_ == "advmod" and (
        lower in _NEGATING_ADVERBS or lower == "longer" and any(c.text.lower() == "no" for c in word.children))


def _clause_negated(word) -> bool:
    """The clause a low word rates is negated itself: "unlikely not to raise rates", "I doubt X will not pass"
    (two negations: the plain event, likely)."""
    owners = [word, word.head] if word.dep_ in ("acomp", "attr") else [word]
    return any(clause.dep_ in ("ccomp", "xcomp", "csubj") and _negated_verb(clause)
               for owner in owners for clause in owner.children)


def _negated_verb(verb) -> bool:
    return sum(_negating(c) for c in verb.children) % 2 == 1


def denies_belief(verb) -> bool:
    """A belief verb whose subject believes nothing: "nobody believes", "no one thinks", "few people expect"."""
    return any(names_nobody(c) for c in verb.children if c.dep_ in ("nsubj", "nsubjpass"))


def names_nobody(subject) -> bool:
    """ "nobody", "no one", "none of them", "no economist", "few people" (not "a few"): a subject that is no one."""
    lower = subject.text.lower()
    lefts = {c.text.lower() for c in subject.lefts}
    if lower in _NOBODY or lower == "one" and "no" in lefts:
        return True
    words = {c.text.lower() for c in subject.children if c.dep_ in ("det", "amod", "advmod")}
    return "no" in words or ("few" in words or lower == "few") and "a" not in lefts


def forecast_signal(tokens, *, text: str = "", speech_verb=None) -> Signal | None:
    """The forecast words of a claim (its tokens, in order), or None when the claim does not look forward.

    `speech_verb` is the verb that attributes it: a predictive verb ("predicts", "expects", "doubts") makes the
    claim a forecast by itself, negated when the verb is ("did not expect").
    """
    text = text or "".join(t.text_with_ws for t in tokens)
    if text.rstrip().rstrip('"').rstrip().endswith("?"):
        return None
    stated = stated_probability(text)
    if stated:
        # "a 90% chance that the bill will not pass": the question asks whether it passes, at 10%.
        found = _words(tokens)
        if found is not None and found[1] is not None and _negated(found[1]):
            return Signal(f"{stated[0]} (negated)", "", round(1 - stated[1], 4), negated=True, token=found[1])
        return Signal(stated[0], "", stated[1], token=found[1] if found else None)
    found = _words(tokens)
    if speech_verb is not None and speech_verb.pos_ == "NOUN":
        # "raised its forecast for …": the forecast, revised, is the claim (read as "will", as "predicts" is);
        # "dampened any expectations that North Korea would rejoin the talks": the claim, turned down.
        if speech_verb.head.text.lower() in ("dampen", "dampens", "dampened", "temper", "tempers", "tempered"):
            return _signal(speech_verb.text, True, speech_verb)
        return Signal(speech_verb.text, "will", token=speech_verb)
    if speech_verb is not None and speech_verb.text.lower() in _WARN and found is None and any(
            c.dep_ == "prep" and c.text.lower() == "of" for c in speech_verb.children):
        # "a leading expert warns of more tropical storms this year": what is warned of is expected.
        return _signal("likely", _negated(speech_verb), speech_verb)
    if speech_verb is not None:
        verb = speech_verb.text.lower()
        if any(c.dep_ == "neg" for c in speech_verb.children) and any(
            c.text.lower() in ("can", "ca", "could") for c in speech_verb.children
        ):
            return None  # "they cannot predict whether …": no forecast at all
        weak = found is not None and found[1] is not None and found[1].tag_ in ("RB", "RBR") and found[0] not in (
            "likely", "unlikely")
        if verb in PHRASES and (found is None or weak or PHRASES[found[0]] == "will" and found[0] in ("would", "will")):
            # The verb carries the hedge ("predicts", "expects", "doubts"); the negations that count are its own and
            # the claim's ("predicts prices will not rise" asks whether they rise, at a low probability).
            inner = found is not None and found[1] is not None and _negated(found[1]) or _claim_negated(tokens)
            return _signal(verb, (_negated(speech_verb) or _neither(speech_verb)) != bool(inner), speech_verb)
    if found is None:
        found = _words(tokens, relative=True)
    if found is None:
        return _stated_as_present(tokens, speech_verb)
    words, token = found
    surprise = _surprise(token)
    if surprise is not None:
        return surprise
    # Each negation that bears on the forecast words turns it over once: "won't", "I don't think X will", "nobody
    # believes X will", "it is false that X will", "Neither A nor B believe X will", and for a low word its
    # clause's own ("unlikely not to").
    flips = _negated(token) if token is not None else False
    if speech_verb is not None and _neither(speech_verb):
        flips = not flips
    if words == "not impossible":
        flips = False
    flips ^= _denied(token, tokens)
    if token is not None and PHRASES.get(words) in ("unlikely", "almost no chance"):
        flips ^= _clause_negated(token)
    rated = _rated(token, tokens) if token is not None else ""
    if rated == "low":
        return _signal("slim chances", bool(flips), token)  # "the chances that X are slim": X, unlikely
    if rated == "uncertain":
        return Signal("not certain", "possible", token=token)  # "it is not certain that X will": maybe X
    return _signal(words, bool(flips), token)


_WARN = {"warn", "warns", "warned", "warning"}
# Read only as the speaker's own state ("is confident that he can unseat …"), never as a word of the claim
# ("certain countries will …", "I'm not sure").
_CONFIDENT = {"confident", "optimistic", "convinced", "certain", "sure"}
_CONDITIONS = {"if", "unless", "provided", "providing"}


def condition_of(signal: Signal, tokens) -> str:
    """The condition a forecast hangs on ("prices would fall if the bank cut rates" → "if the bank cut rates"), or
    "": such a forecast is true only when its condition is (reader-labelling.md counts it as borderline). "Even if"
    concedes rather than conditions, and is not one."""
    if signal.token is None:
        return ""
    inside = {t.i for t in tokens}
    verb = signal.token.head if signal.token.dep_ in ("aux", "auxpass", "advmod", "acomp") else signal.token
    for node in _up(verb, tokens, limit=4):
        for clause in node.children:
            if clause.dep_ != "advcl" or clause.i not in inside or clause.i == signal.token.i:
                continue  # (the event itself: "she would be surprised if the bank raised rates")
            mark = next((c for c in clause.children if c.dep_ == "mark" and c.text.lower() in _CONDITIONS), None)
            if mark is None or any(c.text.lower() == "even" for c in [*mark.children, *clause.children]) \
                    or mark.i > 0 and mark.doc[mark.i - 1].text.lower() == "even":
                continue
            words = [t for t in clause.subtree if t.i in inside]
            return "".join(t.text_with_ws for t in words).strip(" ,")
    return ""


_FUTURE_DATE = re.compile(r"\b(?:next|coming|upcoming|tomorrow|later|the rest of|this (?:fall|autumn|winter|summer|"
                          r"spring))\b", re.IGNORECASE)
_SEEING = {"see", "sees", "seeing"}
FORECAST_SUBJECTS = frozenset("""forecast forecasts outlook outlooks projection projections prediction predictions
forecaster forecasters""".split())


def _stated_as_present(tokens, speech_verb) -> Signal | None:
    """Forecasts said in the present tense: "the forecast for 2006 is for 5.7 percent growth", "NOAA's Winter
    Outlook calls for warmer temperatures", "she sees the economy accelerating this year", "next year's fuel bill
    is going up by €400m" (a present progressive with a time to come)."""
    if speech_verb is not None and speech_verb.text.lower() in _SEEING:
        return _signal("likely", _negated(speech_verb) != _hard(speech_verb), speech_verb)
    if speech_verb is not None and speech_verb.text.lower() in ("call", "calls", "calling", "called") and any(
            c.text.lower() in FORECAST_SUBJECTS for c in speech_verb.children if c.dep_ in ("nsubj", "nsubjpass")):
        return Signal("calls for", "will", negated=_negated(speech_verb), token=speech_verb)
    inside = {t.i for t in tokens}
    for token in tokens:
        if token.dep_ == "nsubj" and token.text.lower() in FORECAST_SUBJECTS and token.head.i in inside:
            # "the forecast for 2006 is for 5.7 percent growth" (not "the projections vary widely")
            verb = token.head
            if verb.text.lower() in ("is", "are", "was", "were") and any(
                    c.dep_ == "prep" and c.text.lower() == "for" and c.i > verb.i for c in verb.children):
                return Signal(token.text, "will", negated=_negated(verb), token=verb)
        if token.tag_ == "VBG" and any(c.dep_ == "aux" and c.text.lower() in ("is", "are", "'s", "'re") for c in token.children):
            dated = _dates(tokens)
            if any(_FUTURE_DATE.search(e.text) for e in dated):
                return Signal("is going to" if token.text.lower() == "going" else token.text, "will",
                              negated=_negated(token), token=token)
    return None


_SURPRISED = {"surprised", "shocked", "astonished", "amazed", "stunned"}
_MIRACLE = {"miracle", "shock", "surprise"}


def _surprise(token) -> Signal | None:
    """ "She would be surprised if the bank raised rates" (unlikely), "it would be a miracle if …" (almost no
    chance): the forecast is the condition's event, rated by the speaker's surprise; the question asks the event."""
    if token is None or token.text.lower() != "would" or token.head.text.lower() != "be":
        return None
    be = token.head
    rating = next((c.text.lower() for c in be.children if c.dep_ in ("acomp", "attr")
                   and c.text.lower() in _SURPRISED | _MIRACLE), None)
    event = next((c for c in be.children if c.dep_ == "advcl" and any(
        m.dep_ == "mark" and m.text.lower() == "if" for m in c.children)), None)
    if rating is None or event is None:
        return None
    if _negated(be):  # "she would not be surprised if …": quite possible
        return Signal(f"would not be {rating} if", "realistic possibility", token=event)
    return Signal(f"would be {rating} if", "almost no chance" if rating == "miracle" else "unlikely", negated=True,
                  token=event)


_HARD = {"hard", "difficult", "impossible", "tough"}


def _hard(verb) -> bool:
    """ "it is hard to see …", "difficult to imagine …": the verb under an adjective of difficulty."""
    return verb.dep_ == "xcomp" and (verb.head.text.lower() in _HARD or any(
        c.dep_ == "acomp" and c.text.lower() in _HARD for c in verb.head.children))


def _neither(verb) -> bool:
    """ "Neither Maria Lopez nor Tom Reyes believe …": what the verb says, neither of them does."""
    return any(c.dep_ == "preconj" and c.text.lower() == "neither"
               for s in verb.children if s.dep_ in ("nsubj", "nsubjpass") for c in s.children)


def _claim_negated(tokens) -> bool:
    """The claim's own main verb is negated ("prices will not rise", "prices to not rise")."""
    inside = {t.i for t in tokens}
    roots = [t for t in tokens if t.head.i not in inside or t.head.i == t.i]
    return any(_negated_verb(root) for root in roots if root.pos_ in ("VERB", "AUX"))


def _up(token, tokens, limit: int = 50):
    """The word, then the words above it in the parse, as far as the claim goes (at most `limit` in all)."""
    inside = {t.i for t in tokens}
    node = token
    for _ in range(limit):
        yield node
        if node.head.i == node.i or node.head.i not in inside:
            return
        node = node.head


def _has_date(tokens) -> bool:
    """A DATE entity within the claim."""
    return bool(_dates(tokens))


def _dates(tokens) -> list:
    """The DATE entities wholly within the claim (found from its own tokens, not from every entity of the doc)."""
    first, last = tokens[0].i, tokens[-1].i
    found = []
    for token in tokens:
        if token.ent_type_ == "DATE" and token.ent_iob_ == "B":
            entity = entity_at(token)
            if entity.start >= first and entity.end <= last + 1:
                found.append(entity)
    return found


_SLIM = {"slim", "remote", "slight", "small", "low", "minimal", "negligible", "poor"}
_DOUBTING = {"skeptical", "sceptical", "doubtful", "dubious"}
_SURE = {"certain", "sure", "clear", "guaranteed", "assured"}


def _rated(token, tokens) -> str:
    """How the claim rates its own chances above the forecast words: "the chances that X are slim" (low), "it is
    not certain that X" (uncertain), or "" when it does not."""
    for node in list(_up(token, tokens))[1:]:
        ratings = [c for c in node.children if c.dep_ in ("acomp", "attr")]
        subject = next((c for c in node.children if c.dep_ in ("nsubj", "nsubjpass")), None)
        if subject is not None and subject.text.lower() in CHANCE_NOUNS and any(
                r.text.lower() in _SLIM for r in ratings):
            return "low"
        if any(r.text.lower() in _SURE for r in ratings) and _negated_verb(node):
            return "uncertain"
    return ""


def _denied(token, tokens) -> bool:
    """ "I don't think crude oil is coming off any time soon", "nobody believes prices will fall", "it is false that
    the bank will …": a belief verb above the forecast words that is negated or believed by nobody, or a denial."""
    for node in list(_up(token, tokens))[1:]:
        lower = node.text.lower()
        if lower in BELIEF_VERBS and (_negated_verb(node) or denies_belief(node)):
            return True
        if lower in _DOUBTING or any(c.dep_ == "acomp" and c.text.lower() in _DOUBTING for c in node.children):
            return True  # "she is skeptical that the bank will …"
        if lower in ("see", "imagine", "believe", "envisage") and _hard(node):
            return True  # "it is hard to see the bank raising rates"
        ratings = {c.text.lower() for c in node.children if c.dep_ == "acomp"}
        if ratings & _FALSE or "true" in ratings and _negated_verb(node):
            return True  # "it is false that …", "it is not true that …" (the clause hangs on "is")
    return False


def _signal(words: str, negated: bool, token) -> Signal:
    row = PHRASES.get(words, "")
    if row in ("unlikely", "almost no chance"):
        # Already a low reading: "unlikely to X" asks X.
        return Signal(words if not negated else f"not {words}", row if not negated else "likely", negated=not negated,
                      token=token)
    if negated:
        return Signal(f"not {words}" if words != "wo" else "won't", NEGATED.get(row, "unlikely"), negated=True,
                      token=token)
    return Signal("won't" if words == "wo" else words, row, token=token)


def _words(tokens, *, relative: bool = False) -> tuple[str, object] | None:
    """The first forward-looking words in the claim that are its own (not a relative clause's, not in the past)."""
    tokens = list(tokens)
    # "cannot predict whether …", "impossible to say if …": nothing under such a verb is a forecast.
    blocked = {t.i for v in tokens if v.text.lower() in _UNKNOWABLE and cannot(v) for t in v.subtree}
    for i, token in enumerate(tokens):
        lower = token.text.lower()
        if token.i in blocked or _in_relative_clause(token, tokens) and not (relative and _main_relative(token, tokens)) \
                or _someone_elses(token, tokens) \
                or _embedded_question(token):
            continue
        if lower in ("impossible", "difficult", "hard") and i + 2 < len(tokens) and tokens[i + 1].text == "to" \
                and tokens[i + 2].text.lower() in _UNKNOWABLE:
            continue
        two = f"{lower} {tokens[i + 1].text.lower()}" if i + 1 < len(tokens) else ""
        three = f"{two} {tokens[i + 2].text.lower()}" if i + 2 < len(tokens) else ""
        for phrase in (three, two):
            if phrase == "to come" and not (i > 0 and tokens[i - 1].pos_ == "NOUN"):
                continue  # "in the years to come", not "we were glad to come"
            if phrase and phrase in PHRASES and phrase not in ("due to",):
                if phrase.endswith(" to") and phrase not in ("bound to", "certain to", "sure to", "going to",
                                                              "to come") and not _verb_follows(tokens, i + phrase.count(" ") + 1):
                    continue
                return phrase, token
        if lower == "due" and two == "due to" and _verb_follows(tokens, i + 2):
            return "due to", token
        if lower == "going" and i + 1 < len(tokens) and tokens[i + 1].text.lower() == "to" and _verb_follows(tokens, i + 2):
            return "going to", token
        if token.tag_ == "MD" and lower in _MODALS:
            following = [t.text.lower() for t in tokens[i + 1 : i + 3]]
            if lower not in ("will", "wo", "'ll", "ll", "shall") and "have" in following and any(
                    t.tag_ == "VBN" for t in tokens[i + 1 : i + 4]):
                continue  # "could have gone": the past ("will have recovered" is not)
            if lower in ("may", "might", "could") and _present_speculation(token, tokens):
                continue  # "X may not be a cohesive alliance", "Zelenskyy may be hoping": the present
            if lower == "should" and not _expected_should(token, tokens):
                continue  # advice, not a forecast ("should be accomplished within four years" is one)
            if _comparative(token.head, tokens):
                continue  # "higher than they would be if …"
            if lower == "would" and (token.head.text.lower() in _POLITE or token.head.text.lower().rstrip("ed") in _POLITE
                                     or token.head.text.lower().rstrip("d") in _POLITE):
                continue
            return ("will" if lower in ("ll", "'ll", "shall") else lower), token
        if lower in PHRASES and lower not in _MODALS | _CONFIDENT and not lower.endswith(" to") and PHRASES[lower]:
            if lower in ("expected", "predicted", "forecast") and token.tag_ in ("VBN", "JJ") and two.endswith(" to"):
                continue  # handled as "expected to" with its verb
            if lower in _VERB_ONLY and token.pos_ not in ("VERB", "AUX"):
                continue  # "life-saving forecasts": a noun
            if lower in _VERB_ONLY and (cannot(token) or _generic_subject(token)):
                continue  # "it is impossible to predict", "they cannot predict", "as one would expect"
            if lower in _VERB_ONLY and token.tag_ in ("VBD", "VBN") and any(
                    c.dep_ == "nsubj" and c.pos_ in ("NOUN", "PROPN") for c in token.children):
                continue  # "Planners predicted the increase …": somebody's past forecast, reported
            if lower in ("likely", "very likely", "most likely", "possible", "unlikely") and _about_now(token):
                continue  # "it is very likely that human activity is responsible": the present
            if lower in _ADVERB_ONLY and token.tag_.startswith("RB") and _past(token.head):
                continue  # "probably avoided a depression": about the past
            return lower, token
    return None


_BELIEFS = {"think", "thinks", "thought", "believe", "believes", "believed", "hope", "hopes", "hoping", "hoped",
            "fear", "fears", "feared", "want", "wants", "wanted", "wish", "wishes", "expects", "expect", "expected",
            "sense", "senses", "assume", "assumes"}


def _someone_elses(token, tokens) -> bool:
    """ "Kim Jong-un thinks Putin will win", "Zelenskyy may be hoping …": a third party's belief, reported inside
    the speaker's claim, is not the speaker's forecast."""
    inside = {t.i for t in tokens}
    for verb in _up(token, tokens, limit=8):
        if verb.text.lower() in _BELIEFS and verb.i != token.i and token.head.i != verb.i:
            subject = next((c for c in verb.children if c.dep_ == "nsubj"), None)
            if subject is not None and subject.pos_ in ("PROPN", "NOUN") and subject.i in inside \
                    and not denies_belief(verb):  # "few people think X will" denies X: the speaker's reading
                return True
    return False


def cannot(verb) -> bool:
    """ "cannot predict", "impossible to predict", "too early to say": no forecast at all."""
    children = {c.text.lower() for c in verb.children}
    if children & {"not", "n't"} and children & {"can", "ca", "could"}:
        return True
    return verb.dep_ == "xcomp" and verb.head.text.lower() in ("impossible", "difficult", "hard", "early", "possible")


def _generic_subject(verb) -> bool:
    return any(c.dep_ == "nsubj" and c.text.lower() in ("one", "you") for c in verb.children) or any(
        c.tag_ == "MD" and c.text.lower() == "would" for c in verb.children)


def _about_now(adjective) -> bool:
    """ "likely that X is …": the clause it rates is in the present or the past, with no modal."""
    clauses = [c for c in [*adjective.children, *adjective.head.children]
               if c.dep_ in ("ccomp", "csubj") and c.pos_ in ("VERB", "AUX")]
    return bool(clauses) and all(
        c.tag_ in ("VBZ", "VBP", "VBD") and not any(g.tag_ == "MD" for g in c.children) for c in clauses)


def _embedded_question(token) -> bool:
    """ "how many people will develop diabetes", "whether the talks will resume": a question, not a claim."""
    verb = token.head if token.dep_ in ("aux", "auxpass", "neg", "advmod") else token
    if verb.dep_ == "relcl":
        return False  # "…, which could clear half the air space": a relative "which", not a question
    first = min(verb.subtree, key=lambda t: t.i)
    if first.tag_ in ("WRB", "WDT", "WP") and first.text.lower() != "that" or first.text.lower() == "whether":
        return verb.dep_ != "ROOT"
    # "asked if X will …" (the verb's own "if"), not "If the bank cuts rates, prices will fall" (the condition's).
    return first.text.lower() == "if" and first.head.i == verb.i and verb.dep_ in ("ccomp", "pcomp", "dobj")


def _present_speculation(modal, tokens) -> bool:
    verb = modal.head
    if _has_date(tokens):
        return False
    if verb.tag_ == "VBG" and any(c.text.lower() == "be" and c.dep_ == "aux" for c in verb.children):
        return True  # "may be hoping"
    if verb.text.lower() == "be" and any(c.dep_ == "attr" for c in verb.children):
        return True  # "may not be a cohesive alliance"
    return False


# Verbs whose subject does not choose the outcome: "the population should increase", "prices will fall".
OUTCOME_VERBS = frozenset("""win lose be become have get see face fall rise grow need reach end fail succeed remain stay
take suffer recover return survive ensure make help bring create lead mean allow cause enable produce result do perform
finish beat qualify score hold pass close come go increase decrease decline drop climb improve worsen slow accelerate
expand contract shrink double triple peak top exceed surpass average hit pass""".split())


def _expected_should(modal, tokens) -> bool:
    """ "should" that expects rather than advises: "the population should increase about ten percent by 2050",
    "Afghanistan should be ready by 2014", "should be accomplished within four years"; not "we should cut taxes".
    The subject is not who is advised (I, we, you), and a time is named or the verb is one of outcome."""
    verb = modal.head
    subject = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass", "expl")), None)
    if subject is not None and subject.text.lower() in ("i", "we", "you", "they", "he", "she"):
        return False
    passive = any(c.dep_ == "auxpass" for c in verb.children)
    outcome = verb.text.lower() in OUTCOME_VERBS - {"be", "have", "do", "make", "take", "get", "go", "come"}
    return _has_date(tokens) and (passive or verb.text.lower() in OUTCOME_VERBS) or outcome and subject is not None \
        and subject.pos_ in ("NOUN", "PROPN") and subject.ent_type_ != "PERSON"


def _comparative(verb, tokens) -> bool:
    """ "closer than we would have guessed a Republican would be running": a comparison, not a forecast."""
    return any(c.dep_ == "mark" and c.text.lower() == "than" for node in _up(verb, tokens, limit=6) for c in node.children)


def _past(verb) -> bool:
    """A verb in the past ("avoided", "has risen", "had been") with no modal."""
    if any(c.tag_ == "MD" for c in verb.children):
        return False
    if verb.tag_ == "VBD":
        return True
    return verb.tag_ == "VBN" and any(c.text.lower() in ("has", "have", "had") for c in verb.children)


def _verb_follows(tokens, index: int) -> bool:
    return index < len(tokens) and (tokens[index].tag_ in ("VB", "VBP") or tokens[index].pos_ == "AUX")


def _in_relative_clause(token, tokens) -> bool:
    """ "boys who will wind up …": the forecast words belong to a noun's relative clause, not to the claim."""
    inside = {t.i for t in tokens}
    node = token
    while node.head.i != node.i and node.head.i in inside:
        if node.dep_ == "relcl" and _sentential(node):
            return False  # "the ash cloud is moving north, which could clear half the air space": said of it all
        if node.dep_ == "relcl" or node.dep_ == "acl" and node.i != token.i and not any(
                c.dep_ == "mark" for c in node.children) and node.head.text.lower() not in CHANCE_NOUNS:
            return True  # ("the risk that the downturn could …", "a 30 percent chance the bank won't …": the
            # noun's content, not a relative clause)
        node = node.head
    return False


def _main_relative(token, tokens) -> bool:
    """A relative clause on a noun of the claim's own main clause ("the world is in a 20-year cycle that will
    continue to bring strong storms"), read when the claim has no forecast of its own; not one deeper down ("he is
    afraid to conscript more boys who will wind up in body bags")."""
    inside = {t.i for t in tokens}
    node = token
    while node.dep_ != "relcl":
        if node.head.i == node.i or node.head.i not in inside:
            return False
        node = node.head
    node = node.head
    while node.head.i != node.i and node.head.i in inside:
        if node.dep_ not in ("pobj", "prep", "attr", "dobj", "nsubj", "nsubjpass", "conj", "appos", "compound"):
            return False
        node = node.head
    return True


def _sentential(clause) -> bool:
    """A relative clause set off by a comma and opened with "which": it comments on what was said before it."""
    first = min(clause.subtree, key=lambda t: t.i)
    return first.text.lower() == "which" and first.i > 0 and first.doc[first.i - 1].text == ","
