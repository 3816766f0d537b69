"""What a speaker claims, on the parse: the words a speech verb governs, the claim's own time expressions, and
whether its forecast words are a forecast or the speaker's own plan."""

import re

from forecasts.reading import signals, words
from forecasts.reading.registry import Speaker

MIN_CLAIM_WORDS = 4

_WEEKDAY = re.compile(r"(?:on |last |this )?(?:mon|tues|wednes|thurs|fri|satur|sun)day", re.IGNORECASE)


def dates_in(tokens):
    """The claim's own time expressions, each with the preposition the parse attached ("by March 2026"). A bare
    weekday is when something was said ("experts said Friday"), not a deadline."""
    if not tokens:
        return []
    doc, first, last = tokens[0].doc, tokens[0].i, tokens[-1].i
    found = []
    for entity in doc.ents:
        if entity.label_ != "DATE" or entity.start < first or entity.end - 1 > last or _WEEKDAY.fullmatch(entity.text):
            continue
        before = doc[entity.start - 1] if entity.start > first else None
        found.append(f"{before.text} {entity.text}" if before is not None and before.dep_ == "prep" else entity.text)
    return found


def forecast(tokens, speaker: Speaker, *, quoted: bool, speech_verb=None):
    """The claim's forecast signal, passing over the speaker's own plans: "I'll be calling upon the Secretary … and
    expect there will be a protest" is read at "expect"."""
    for _ in range(3):
        signal = signals.forecast_signal(tokens, speech_verb=speech_verb)
        if signal is None or not _intention(signal, speaker, quoted=quoted):
            return signal
        plan = signal.token.head
        # What the speaker goes on to say: a clause joined to the plan ("… and expect there will be …"), else
        # the words after it.
        joined = {t.i for c in plan.children if c.dep_ == "conj" and c.i > plan.i for t in c.subtree}
        end = max(t.i for t in plan.subtree)
        tokens = [t for t in tokens if t.i in joined] or [t for t in tokens if t.i > end]
        speech_verb = None
        if len([t for t in tokens if not t.is_punct]) < MIN_CLAIM_WORDS - 1:
            return None
    return None


def _intention(signal, speaker: Speaker, *, quoted: bool) -> bool:
    """ "We will push the agenda", "she would not accept partial reforms", "Labor will not change that view": a
    speaker's own plan or resolve, not a forecast (shared/reader-labelling.md leaves intentions out)."""
    token = signal.token
    if token is None or token.tag_ != "MD" or token.text.lower() not in ("will", "would", "'ll", "wo", "shall"):
        return False
    verb = token.head
    if verb.text.lower() in signals.OUTCOME_VERBS or verb.pos_ != "VERB" or any(
            c.dep_ == "auxpass" for c in verb.children):
        return False
    if verb.dep_ == "ccomp" and verb.head.text.lower() in words.BELIEF_VERBS:
        return False  # "I think we will live to regret it": what the speaker believes will happen, not a plan
    subject = next((c for c in verb.children if c.dep_ in ("nsubj",)), None)
    if subject is None:
        return False
    lower = subject.text.lower()
    if lower in ("i", "we"):
        return True
    if not quoted and lower in ("he", "she", "they"):
        return True
    names = {w.lower() for w in speaker.name.split() if len(w) > 2}
    return not quoted and subject.text.lower() in names


def opens_with_pronoun_i(sentence) -> bool:
    first = next((t for t in sentence if not t.is_punct), None)
    return first is not None and first.text.lower() in ("i", "we", "you")


def claim_of(verb) -> list:
    """The tokens a speech verb governs: its clause ("said (that) X") and what follows it ("predicts growth of 0.1
    percent", "says sanctions likely by May"); when the attribution follows the claim ("X will happen, says Y",
    "it's, he added, not impossible") the rest of the sentence; a clause joined to the verb with its own subject
    ("says X, but Y will be slow") is said too."""
    if verb.dep_ in ("ccomp", "parataxis") and verb.head.i > verb.i and verb.head.pos_ in ("VERB", "AUX"):
        # "analysts anticipated that beyond …, the North could get …", parsed with the clause as the head.
        tokens = [t for t in verb.head.subtree if t.i > verb.i]
        return tokens[1:] if tokens and tokens[0].text.lower() == "that" else tokens
    told = verb.text.lower() in ("tell", "tells", "told", "telling")  # "told reporters": whom, not what
    parts = [c for c in verb.children if c.dep_ == "ccomp"]
    if not parts:
        # No clause: what follows the verb is the claim ("predicts growth of 0.1 percent", "says sanctions likely
        # by May"). With a clause, what follows it says when and where it was said ("said on Monday").
        parts = [c for c in verb.children if c.i > verb.i and c.dep_ in (
            "xcomp", "advcl", "dobj", "attr", "oprd", "prep", "acomp", "npadvmod") and not (told and c.dep_ == "dobj")]
    parts += [c for c in verb.children if c.dep_ == "conj" and c.pos_ in ("VERB", "AUX") and c.i > verb.i
              and c.text.lower() not in words.SPEECH_VERBS
              and any(g.dep_ in ("nsubj", "nsubjpass", "expl") for g in c.children)]
    if parts:
        tokens = sorted({t for part in parts for t in part.subtree}, key=lambda t: t.i)
        return [t for t in tokens if not (t.i == tokens[0].i and t.text.lower() == "that")]
    head = verb.head
    if verb.dep_ == "parataxis" and head.i != verb.i or verb.dep_ in ("ccomp", "conj", "advcl") and head.i < verb.i:
        inner = {t.i for t in verb.subtree}
        return [t for t in head.subtree if t.i not in inner]
    # A parse that hangs the clause elsewhere ("…, with the ITU predicting there will be …"): what follows.
    after = [t for t in verb.sent if t.i > verb.i]
    return after if len(after) >= MIN_CLAIM_WORDS else []
