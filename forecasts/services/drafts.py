"""Writes for turning articles into forecasts: ingest an article into draft predictions, accept or reject a draft.

Each service is one transaction: a bad article or a refused draft leaves nothing half-saved.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from forecasts import selectors
from forecasts.dates import require_supported
from forecasts.reading import Candidate, read_article
from forecasts.models import Analyst, DraftPrediction, Prediction, ProbabilityPhrase, Source, name_key
from forecasts.services import analysts, rules
from forecasts.services.predictions import prediction_create
from forecasts.services.questions import question_create
from forecasts.text import canonical_url, decode_article, normalize_text

MAX_ARTICLE_BYTES = 1_000_000
_HTTP_URL = URLValidator(schemes=["http", "https"])
DEFAULT_CHECK_EVERY = dt.timedelta(days=90)


class IngestError(Exception):
    """The article cannot be read; nothing was saved."""


def article_size_check(size: int) -> None:
    """The one limit on an article's size, in bytes (an upload is checked before it is read)."""
    if size > MAX_ARTICLE_BYTES:
        raise IngestError(f"The article is {size:,} bytes; the limit is {MAX_ARTICLE_BYTES:,} (1 MB).")


def article_from_bytes(data: bytes) -> str:
    """An uploaded or read file as the article's text: within the limit, UTF-8, not binary."""
    article_size_check(len(data))
    try:
        return decode_article(data)
    except ValueError as exc:
        raise IngestError(f"The file is {exc}.") from None


def article_from_file(path) -> str:
    """A file on disk as the article's text. Read up to one byte past the limit, never more: a device or a pipe
    (/dev/zero, /dev/stdin) has no size to check first and may never end. OSError for what cannot be read."""
    with open(path, "rb") as handle:
        data = handle.read(MAX_ARTICLE_BYTES + 1)
    if len(data) > MAX_ARTICLE_BYTES:
        raise IngestError(f"The article is more than {MAX_ARTICLE_BYTES:,} bytes, the limit (1 MB).")
    return article_from_bytes(data)


class DraftNotPending(Exception):
    """The draft was accepted or rejected already (perhaps by someone else meanwhile)."""


@dataclass
class IngestReport:
    source: Source
    drafts: list[DraftPrediction] = field(default_factory=list)
    created: int = 0

    def __str__(self) -> str:
        tracked = sum(d.status == DraftPrediction.Status.ACCEPTED for d in self.drafts)
        waiting = sum(d.status == DraftPrediction.Status.PENDING for d in self.drafts)
        return (
            f"source {self.source.pk}: {len(self.drafts)} forward-looking statement(s), {waiting} waiting for review, "
            f"{tracked} tracked ({self.created} new)"
        )


def _phrase_for(candidate: Candidate, phrases: list[ProbabilityPhrase]) -> ProbabilityPhrase | None:
    """The row the reader read the hedge as ("'ll" → will, "set to" → likely, "doubt" → unlikely); a stated
    probability needs none."""
    if candidate.probability is not None or not candidate.phrase_row:
        return None
    return next((p for p in phrases if p.phrase.lower() == candidate.phrase_row), None)


def _criteria(candidate: Candidate, resolve_by: dt.datetime) -> str:
    when = f"{resolve_by.day} {resolve_by:%B %Y}"
    speaker = candidate.speaker or "the speaker"
    return (
        f"YES if, by {when}, credible reporting (an official statement or at least two major news organisations) "
        f"shows that what {speaker} said has come true: “{candidate.quote}”. NO otherwise. "
        "Suggested by the article reader: sharpen it before accepting."
    )


def article_check(*, text: str, published_at: dt.datetime | None = None, url: str = "", publisher: str = "",
                  title: str = "") -> dt.datetime | None:
    """Refuse an article that cannot be read (IngestError, or ValidationError naming published_at) before any work:
    every door checks this at once, also before queuing a job (the command, the API, the pages and the admin alike,
    whatever their own forms check). Returns published_at as stored.

    With a URL, a source that already holds another text under it is refused here too (the one-URL-one-document
    rule; article_ingest checks it again under a lock)."""
    if not rules.visible(text):
        raise IngestError("The article is empty: paste or upload its text.")  # nothing but spaces or zero-widths
    article_size_check(len(text.encode("utf-8")))
    if "\x00" in text:
        raise IngestError("The article contains NUL characters: it does not look like text.")
    if len(publisher) > 200 or len(url) > 500 or len(title) > 300:
        raise IngestError("The publisher is longer than 200 characters, the URL longer than 500, or the title longer "
                          "than 300.")
    if url:
        try:
            _HTTP_URL(url)
        except ValidationError:
            raise IngestError("The URL must be a web address starting with http:// or https://.") from None
        url = canonical_url(url)
    try:
        published_at = require_supported(published_at, "published_at")
    except ValidationError as exc:
        raise ValidationError({"published_at": exc.messages}) from None
    if url:
        known = Source.objects.filter(url=url).exclude(text="").exclude(raw_text=text).first()
        if known is not None and known.text != normalize_text(text):
            raise IngestError(_url_taken(known))
    return published_at


def _url_taken(source: Source) -> str:
    return (
        f"Source {source.pk} has this URL with another text; one URL is one document. "
        "Ingest the new text without the URL, or correct the source in the admin."
    )


def article_ingest(
    *,
    text: str,
    title: str = "",
    publisher: str = "",
    url: str = "",
    published_at: dt.datetime | None = None,
    user,
    progress=None,
) -> IngestReport:
    """Keep the article as a Source and propose a draft prediction for each forward-looking attributed statement.

    Ingesting the same article (same URL, or without one the same text) again proposes nothing new. `progress`,
    if given, is called with the share of the work done (0 to 1) as it goes (a job reports it).
    """
    published_at = article_check(text=text, published_at=published_at, url=url, publisher=publisher, title=title)
    url = canonical_url(url) if url else url
    step = progress or (lambda done: None)
    normalized = normalize_text(text)
    step(0.1)
    title = (title or normalized.strip().split("\n", 1)[0])[:300]
    made_at = published_at or timezone.now()
    phrases = list(ProbabilityPhrase.objects.all())
    # Read before the transaction: parsing takes seconds for a long article, and on SQLite a write transaction
    # holds the database's one write lock all along (other users' writes would wait, then fail). A source that
    # holds this article already is read as it says (its publisher, its date), once.
    known = Source.objects.filter(url=url).first() if url else Source.objects.filter(text=normalized).order_by("pk").first()
    basis = _reading(known, text=normalized, publisher=publisher, published=made_at)
    candidates = read_article(basis[0], publisher=basis[1], published=basis[2],
                              progress=lambda share: step(0.1 + 0.2 * share))
    step(0.3)

    with transaction.atomic():
        if url:
            source, _ = Source.objects.select_for_update().get_or_create(
                url=url,
                defaults={
                    "title": title, "publisher": publisher, "published_at": published_at, "raw_text": text, "text": normalized,
                },
            )
            if not source.text:
                # Known by its URL only (a CSV import's source_url): now it has its text.
                source.raw_text, source.text = text, normalized
                source.save(update_fields=["raw_text", "text"])
            elif source.text != normalized:
                raise IngestError(_url_taken(source))
        else:
            # No URL: the same text is the same document, whatever title it was given.
            source = Source.objects.filter(text=normalized).order_by("pk").first() or Source.objects.create(
                title=title, publisher=publisher, published_at=published_at, raw_text=text, text=normalized
            )
        report = IngestReport(source=source)
        # Claims of this article tracked already (curated seeds, earlier reviews) are recognised, not proposed again.
        tracked = _tracked_spans(source)
        analysts: dict[str, Analyst | None] = {}  # one look-up per speaker, not per statement
        locked = _reading(source, text=normalized, publisher=publisher, published=made_at)
        if locked != basis:
            # The source changed between the reading and the lock (another ingest, an admin's edit): read it again.
            candidates = read_article(locked[0], publisher=locked[1], published=locked[2])
        for done, candidate in enumerate(candidates, start=1):
            step(0.3 + 0.7 * done / len(candidates))
            if candidate.speaker and candidate.speaker not in analysts:
                analysts[candidate.speaker] = selectors.analyst_by_name(name=candidate.speaker)
            draft, created = _draft_for(
                candidate, source=source, made_at=source.published_at or made_at, phrases=phrases,
                tracked=_tracked_for(candidate, tracked), analyst=analysts.get(candidate.speaker),
            )
            report.drafts.append(draft)
            report.created += created
    return report


def _reading(source: Source | None, *, text: str, publisher: str, published: dt.datetime) -> tuple[str, str, dt.date]:
    """What the reader reads an article as: (text, publisher, publication day), the known source's where it has
    them."""
    if source is None or not source.text:
        return text, publisher, published.date()
    return source.text, source.publisher or publisher, (source.published_at or published).date()


def _tracked_spans(source: Source) -> list[list]:
    """The source's predictions with where their quotes stand in its text: [start, end, prediction, claimed]."""
    spans = []
    for prediction in source.predictions.select_related("analyst").order_by("pk"):
        start = source.text.find(prediction.quote)
        if start >= 0:
            spans.append([start, start + len(prediction.quote), prediction, False])
    return spans


def _tracked_for(candidate: Candidate, spans: list[list]) -> Prediction | None:
    """The tracked prediction a proposal restates: its quote covers most of the proposal's span, or the other way
    round (a curated quote may run over two sentences, or cut one). Each prediction is one proposal's."""
    for span in spans:
        start, end, prediction, claimed = span
        shared = min(end, candidate.end) - max(start, candidate.start)
        if not claimed and shared > 0.5 * min(end - start, candidate.end - candidate.start):
            span[3] = True
            return prediction
    return None


def _draft_for(
    candidate: Candidate,
    *,
    source: Source,
    made_at: dt.datetime,
    phrases,
    tracked: Prediction | None,
    analyst: Analyst | None,
) -> tuple[DraftPrediction, bool]:
    flags = list(candidate.flags)
    if tracked is not None:
        analyst = tracked.analyst
        flags.append("already tracked: this quote is a prediction of this source")
    elif candidate.speaker and analyst is None:
        about = f" ({candidate.affiliation})" if candidate.affiliation else ""
        flags.append(f"new analyst proposed: {candidate.speaker}{about}")
    phrase = _phrase_for(candidate, phrases)
    if phrase is None and candidate.probability is None and candidate.phrase_row:
        flags.append(f"no phrase-table row “{candidate.phrase_row}”: give a judged probability and a note")
    resolve_by = dt.datetime.combine(candidate.resolve_by, made_at.timetz())
    title, criteria = candidate.question[:300], _criteria(candidate, resolve_by)
    return DraftPrediction.objects.get_or_create(
        source=source,
        quote_start=candidate.start,
        quote=candidate.quote,
        defaults={
            "speaker": candidate.speaker[:300],
            "speaker_affiliation": candidate.affiliation[:300],
            "speaker_kind": Analyst.Kind.GROUP if candidate.is_group else Analyst.Kind.PERSON,
            "analyst": analyst,
            "hedge_phrase": candidate.hedge_phrase[:100],
            "phrase": phrase,
            "basis": Prediction.Basis.STATED if candidate.probability is not None else Prediction.Basis.PHRASE,
            "probability": candidate.probability if candidate.probability is not None else (
                phrase.probability if phrase else None),
            "question_title": title,
            "resolution_criteria": criteria,
            "resolve_by": resolve_by,
            "check_every": DEFAULT_CHECK_EVERY,
            "made_at": made_at,
            "flags": "\n".join(flags),
            "status": DraftPrediction.Status.ACCEPTED if tracked else DraftPrediction.Status.PENDING,
            "prediction": tracked,
        },
    )


def _analyst_for(draft: DraftPrediction, *, analyst: Analyst | None, new_analyst_name: str, user) -> Analyst:
    if analyst is not None:
        return analyst
    name = (new_analyst_name or draft.speaker).strip()
    if not name:
        raise ValueError("The quotation has no speaker: choose an analyst or name a new one.")
    existing = selectors.analyst_by_name(name=name)
    if existing is not None:
        return existing
    # The speaker as the article spelled them becomes an alias when it is another name (not another spelling).
    aliases = (draft.speaker[:200],) if draft.speaker and selectors.analyst_by_name(name=draft.speaker) is None else ()
    if aliases and name_key(draft.speaker) == name_key(name):
        aliases = ()
    return analysts.analyst_create(
        data={"name": name[:200], "kind": draft.speaker_kind, "affiliation": draft.speaker_affiliation[:200]},
        aliases=aliases,
        user=user,
    )


def draft_accept(
    *,
    draft_id: int,
    user,
    analyst: Analyst | None = None,
    new_analyst_name: str = "",
    question_title: str | None = None,
    resolution_criteria: str | None = None,
    resolve_by: dt.datetime | None = None,
    check_every: dt.timedelta | None = None,
    probability: float | None = None,
    note: str = "",
    phrase: ProbabilityPhrase | None = None,
) -> Prediction:
    """Turn a pending draft into a question and a prediction (both as edited), and mark it accepted.

    A probability given here is the reviewer's reading: the prediction is `judged` and needs a note. Without one,
    a probability the speaker stated gives it (`stated`), else the draft's phrase-table row (or the one the
    reviewer chose) does (`phrase`).
    """
    with transaction.atomic():
        draft = DraftPrediction.objects.select_for_update(of=("self",)).select_related("phrase", "source").get(pk=draft_id)
        if draft.status != DraftPrediction.Status.PENDING:
            raise DraftNotPending(f"This draft was {draft.status} already.")
        chosen = _analyst_for(draft, analyst=analyst or draft.analyst, new_analyst_name=new_analyst_name, user=user)
        # Before anything is written: an in-house analyst's forecasts are theirs (the service checks it again).
        rules.require_may_write_forecasts_of(user=user, analyst=chosen)
        stated = probability is None and phrase is None and draft.basis == Prediction.Basis.STATED
        phrase = None if stated else (phrase or draft.phrase)
        if probability is None and phrase is None and not stated:
            raise ValueError("No phrase-table row matches the hedge words: give a probability and a note.")
        question = question_create(
            data={
                "title": (question_title or draft.question_title)[:300],
                "resolution_criteria": resolution_criteria or draft.resolution_criteria,
                "resolve_by": resolve_by or draft.resolve_by,
                "check_every": check_every if check_every is not None else draft.check_every,
                "created_at": draft.made_at,
            },
            user=user,
        )
        judged = probability is not None
        basis = Prediction.Basis.JUDGED if judged else Prediction.Basis.STATED if stated else Prediction.Basis.PHRASE
        prediction = prediction_create(
            data={
                "analyst": chosen,
                "question": question,
                "source": draft.source,
                "quote": draft.quote,
                "hedge_phrase": draft.hedge_phrase,
                "phrase": phrase,
                "basis": basis,
                "probability": draft.probability if stated else probability,
                "note": note,
                "made_at": draft.made_at,
            },
            user=user,
        )
        draft.status, draft.prediction, draft.analyst = DraftPrediction.Status.ACCEPTED, prediction, chosen
        draft.reviewed_by, draft.reviewed_at = rules.recorded_user(user), timezone.now()
        draft.save(update_fields=["status", "prediction", "analyst", "reviewed_by", "reviewed_at"])
    return prediction


def draft_reject(*, draft_id: int, user) -> DraftPrediction:
    with transaction.atomic():
        draft = DraftPrediction.objects.select_for_update().get(pk=draft_id)
        if draft.status != DraftPrediction.Status.PENDING:
            raise DraftNotPending(f"This draft was {draft.status} already.")
        draft.status, draft.reviewed_by = DraftPrediction.Status.REJECTED, rules.recorded_user(user)
        draft.reviewed_at = timezone.now()
        draft.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    return draft
