"""CSV import of forecasts (SPEC.md "CSV import"); the export is forecasts/exports.py.

Import is all or nothing: every row is checked first and a bad row rejects the file with its line number and
reason. Re-importing the same file adds nothing. Writes are bulk, in one transaction, so tens of thousands of
rows take seconds. An import is recorded once (models.Import: who, when, the file): the audit record of the
forecasts it creates, which link to it.
"""

import csv
import datetime as dt
import functools
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import slugify

from forecasts.dates import require_supported
from forecasts.models import (
    SCORED_OUTCOMES,
    Analyst,
    AnalystName,
    Import,
    Outcome,
    Prediction,
    Question,
    Source,
    name_key,
)
from forecasts.services import analysts as analysts_service
from forecasts.services import bulk, rules, scores
from forecasts.services import questions as questions_service
from forecasts.text import canonical_url

REQUIRED_COLUMNS = ["analyst", "question", "probability", "made_at", "resolve_by", "outcome"]
OPTIONAL_COLUMNS = ["question_key", "quote", "source_url", "hedge_phrase"]
OUTCOMES = frozenset(Outcome.values)
MAX_ERRORS = 50
IMPORT_LOCK_KEY = 0x48494E44  # "HIND": the advisory lock that serializes imports
IMPORT_REASON = "CSV import"


class ImportRejected(Exception):
    def __init__(self, errors: list[str]):
        self.errors = errors
        more = f" (and more; first {MAX_ERRORS} shown)" if len(errors) >= MAX_ERRORS else ""
        super().__init__(f"nothing imported: {len(errors)} error(s){more}\n" + "\n".join(errors))


@dataclass
class ImportReport:
    rows: int = 0
    created: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("analysts", "sources", "questions", "predictions", "resolutions"), 0)
    )

    def __str__(self) -> str:
        made = ", ".join(f"{n} {kind}" for kind, n in self.created.items() if n)
        return f"{self.rows} rows read; " + (f"created {made}" if made else "nothing new")


@dataclass
class _Row:
    line: int
    analyst: str
    question: str
    question_key: str
    probability: float
    made_at: dt.datetime
    resolve_by: dt.datetime
    outcome: str
    quote: str
    source_url: str
    hedge_phrase: str


# The longest value a column may hold: its model field's max_length (a longer one is an error, not cut).
MAX_LENGTHS = {
    "analyst": Analyst._meta.get_field("name").max_length,
    "question": Question._meta.get_field("title").max_length,
    "source_url": Source._meta.get_field("url").max_length,
    "hedge_phrase": Prediction._meta.get_field("hedge_phrase").max_length,
}
# A cell starting with one of these is a formula to a spreadsheet: the export writes it after a "'", which the
# import takes off again (only before one of these, after any further "'": so any text makes the round trip).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_neutralised(text: str) -> str:
    """A cell as the export writes it: "'=HYPERLINK(…)" for "=HYPERLINK(…)"."""
    return "'" + text if text.lstrip("'").startswith(FORMULA_STARTS) else text


def _formula_restored(text: str) -> str:
    """The inverse of formula_neutralised."""
    return text[1:] if text.startswith("'") and text.lstrip("'").startswith(FORMULA_STARTS) else text


@functools.lru_cache(maxsize=4096)  # a file repeats its dates: parse each once
def _parse_when(value: str, column: str) -> tuple[dt.datetime | None, str | None]:
    """(the moment, in UTC; None) or (None, what is wrong with it)."""
    value = value.strip()
    try:
        when = parse_datetime(value)
        if when is None:
            day = parse_date(value)
            when = None if day is None else dt.datetime.combine(day, dt.time())
    except ValueError as exc:  # well formed, but no such day or time: 2024-02-30
        return None, f"{column} {value!r} is not a date ({exc})"
    if when is None:
        return None, f"{column} {value!r} is not a date (YYYY-MM-DD or ISO 8601)"
    when = when if timezone.is_aware(when) else when.replace(tzinfo=dt.timezone.utc)
    try:
        return require_supported(when, column, given=value), None
    except ValidationError as exc:
        return None, exc.messages[0]


def _records(reader, errors: list[str]) -> Iterable[list[str]]:
    """The reader's rows; a line the csv module cannot read (a field over its limit) ends the file, with an error."""
    try:
        yield from reader
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            problem = f"a field is longer than {csv.field_size_limit():,} characters"
        else:
            problem = f"not readable as CSV ({exc})"
        errors.append(f"line {reader.line_num}: {problem}; the file was not read further")


@functools.lru_cache(maxsize=65536)  # one question's rows repeat its text; slugify is slow
def question_key_for(text: str) -> str:
    """A stable Question.key for a CSV question_key (or question text) that is not already a slug."""
    text = text.strip()
    if slugify(text) == text and len(text) <= 200:
        return text
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
    return f"{slugify(text)[:180]}-{digest}".lstrip("-")


def _parse_rows(lines: Iterable[str]) -> tuple[list[_Row], list[str]]:
    reader = csv.reader(lines)
    try:
        header = [name.strip() for name in next(reader, [])]
    except csv.Error as exc:
        return [], [f"line {reader.line_num}: the header row is not readable as CSV ({exc})"]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    unknown = [name for name in header if name not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if not header:
        return [], ["line 1: the file is empty; expected a header row: " + ", ".join(REQUIRED_COLUMNS)]
    if missing or unknown:
        problems = []
        if missing:
            problems.append("missing column(s) " + ", ".join(missing))
        if unknown:
            problems.append("unknown column(s) " + ", ".join(unknown))
        return [], ["line 1: " + "; ".join(problems)]
    url_ok = URLValidator()
    rows, errors = [], []
    width = len(header)
    for values in _records(reader, errors):
        line = reader.line_num
        if len(values) > width:
            errors.append(f"line {line}: more fields than columns")
            continue
        # csv.reader rather than DictReader, and a cell's formula guard undone only where it starts with "'":
        # reading the file is an eighth of a 50,000-row import, and these took a fifth off it.
        values = [value.strip() for value in values]
        values = [_formula_restored(value) if value.startswith("'") else value for value in values]
        if not any(values):
            continue  # a blank line
        cell = dict(zip(header, values + [""] * (width - len(values))))
        problems = []
        if "\x00" in "".join(values):
            problems = [f"{key} contains a NUL character" for key, value in cell.items() if "\x00" in value]
        problems += [
            f"{key} is {len(cell[key]):,} characters; at most {limit}"
            for key, limit in MAX_LENGTHS.items()
            if len(cell.get(key, "")) > limit
        ]
        if not cell["analyst"]:
            problems.append("analyst is empty")
        if not cell["question"]:
            problems.append("question is empty")
        try:
            probability = float(cell["probability"])
            if not 0.0 <= probability <= 1.0:
                problems.append(f"probability {cell['probability']!r} is not between 0 and 1")
        except ValueError:
            probability = None
            problems.append(f"probability {cell['probability']!r} is not a number")
        (made_at, made_at_problem), (resolve_by, resolve_by_problem) = (
            _parse_when(cell["made_at"], "made_at"), _parse_when(cell["resolve_by"], "resolve_by")
        )
        problems += [problem for problem in (made_at_problem, resolve_by_problem) if problem]
        outcome = cell["outcome"].lower()
        if outcome and outcome not in OUTCOMES:
            problems.append(f"outcome {cell['outcome']!r} is not one of yes, no, ambiguous, annulled or empty")
        if cell.get("source_url") and len(cell["source_url"]) <= MAX_LENGTHS["source_url"]:
            try:
                url_ok(cell["source_url"])
            except ValidationError:
                problems.append(f"source_url {cell['source_url']!r} is not a URL")
        if problems:
            errors.append(f"line {line}: " + "; ".join(problems))
        else:
            rows.append(
                _Row(
                    line=line,
                    analyst=cell["analyst"],
                    question=cell["question"],
                    question_key=question_key_for(cell.get("question_key") or cell["question"]),
                    probability=probability,
                    made_at=made_at,
                    resolve_by=resolve_by,
                    outcome=outcome,
                    quote=cell.get("quote", ""),
                    source_url=canonical_url(cell["source_url"]) if cell.get("source_url") else "",
                    hedge_phrase=cell.get("hedge_phrase", ""),
                )
            )
        if len(errors) >= MAX_ERRORS:
            break
    return rows, errors


def _check_outcomes_agree(rows: list[_Row]) -> list[str]:
    first: dict[str, _Row] = {}
    errors = []
    for row in rows:
        seen = first.setdefault(row.question_key, row)
        if seen.outcome != row.outcome:
            errors.append(
                f"line {row.line}: outcome {row.outcome or '(empty)'!r} disagrees with line {seen.line} "
                f"({seen.outcome or '(empty)'!r}) for the same question"
            )
    return errors


def _one_import_at_a_time() -> None:
    """Serialize imports: two copies of one file at once would both see its predictions as new.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: write transactions are serialized already
    (IMMEDIATE), so there is nothing to do.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])


def _rules_refusals(rows: list[_Row], *, analysts: dict[str, Analyst], judged_keys: set[str], user) -> list[str]:
    """The ledger's rules, applied to the whole file at once (the same rules.py the other doors call): a row in
    an in-house analyst's name by someone else, and a new forecast on a question judged before this import, are
    refused with their line numbers. Creating a question, its forecasts and its outcome together is what
    importing is for (a sanctioned exception of the frozen rule)."""
    errors = []
    for row in rows:
        analyst = analysts.get(row.analyst)
        if analyst is not None and not rules.may_write_forecasts_of(user=user, analyst=analyst):
            errors.append(
                f"line {row.line}: {analyst.name} is an in-house analyst who logs their own forecasts; "
                "only they or an admin can import forecasts in their name"
            )
        elif row.question_key in judged_keys and not rules.is_admin(user):
            errors.append(
                f"line {row.line}: the question {row.question!r} is judged already; a new forecast cannot be added "
                "to it (an admin can backfill one)"
            )
        if len(errors) >= MAX_ERRORS:
            break
    return errors


def csv_header_check(text: str) -> None:
    """Refuse at once a file whose header row is not the import's (ImportRejected): checked before a large file is
    queued as a job, so that a wrong file is not read in the background only to be refused."""
    header = text.lstrip("\ufeff").splitlines()[:1]
    _, errors = _parse_rows(header)
    if errors:
        raise ImportRejected(errors)


def forecasts_import(*, lines: Iterable[str], user, file_name: str = "", progress=None) -> ImportReport:
    """Import forecasts from CSV text lines; raises ImportRejected (nothing written) on any bad row.

    An import that writes anything is recorded once, as an Import row (who, when, the file, its SHA-256), and
    each forecast it creates links to it: that is their audit record. `progress`, if given, is called with the
    share of the writing done (0 to 1) at each stage (a job reports it).
    """
    step = progress or (lambda done: None)
    read: list[str] = []
    rows, errors = _parse_rows(_kept(lines, read))
    errors += _check_outcomes_agree(rows)
    if errors:
        raise ImportRejected(errors[:MAX_ERRORS])
    report = ImportReport(rows=len(rows))
    if not rows:
        return report
    recorded = rules.recorded_user(user)

    with transaction.atomic():
        _one_import_at_a_time()
        known = _known_analysts({row.analyst for row in rows})
        keys = sorted({row.question_key for row in rows})
        questions: dict[str, tuple[int, str]] = {}  # key → (pk, current outcome)
        for chunk in bulk.in_sets(keys, db_type="text"):
            # Locked, as every write of a forecast locks its question: a judgement racing the import waits, and the
            # import reads the outcome it left.
            locked = Question.objects.filter(key__in=chunk).order_by("pk").select_for_update()
            questions.update((key, (pk, outcome)) for key, pk, outcome in locked.values_list("key", "pk", "outcome"))
        old_question_ids = [pk for pk, _ in questions.values()]
        existing = set()
        for chunk in bulk.chunks(old_question_ids):
            existing.update(
                Prediction.objects.filter(question_id__in=chunk).values_list(
                    "analyst_id", "question_id", "made_at", "probability", "quote"
                )
            )

        def identity(row: _Row) -> tuple | None:
            analyst, question = known.get(row.analyst), questions.get(row.question_key)
            if analyst is None or question is None:
                return None  # a new analyst or question: a new forecast
            return (analyst.pk, question[0], row.made_at, row.probability, row.quote)

        # Rows already in the ledger add nothing, so they break no rule (re-importing an export is a no-op).
        fresh = [row for row in rows if identity(row) not in existing]
        judged_keys = {key for key, (_, outcome) in questions.items() if outcome in SCORED_OUTCOMES}
        errors = _rules_refusals(fresh, analysts=known, judged_keys=judged_keys, user=user)
        if errors:
            raise ImportRejected(errors)

        first_row = {}
        for row in rows:
            first_row.setdefault(row.question_key, row)
            if row.made_at < first_row[row.question_key].made_at:
                first_row[row.question_key] = row
        # Outcomes: a question whose current outcome differs from the file's is judged, as on every door.
        judge = {key: row.outcome for key, row in first_row.items()
                 if row.outcome and questions.get(key, (None, ""))[1] != row.outcome}
        urls = sorted({row.source_url for row in rows if row.source_url})
        sources = {s.url: s for chunk in bulk.chunks(urls) for s in Source.objects.filter(url__in=chunk)}
        if not (fresh or judge or len(sources) < len(urls)):
            return report  # nothing new: nothing to record

        text = "".join(read)
        record = Import.objects.create(
            file_name=file_name[:255], sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), rows=len(rows),
            text=text, imported_by=recorded,
        )
        reason = f"{IMPORT_REASON} #{record.pk}"
        analysts, report.created["analysts"] = _create_missing_analysts(
            known, [row.analyst for row in rows], user=user, reason=reason
        )

        new_sources = [Source(title=url[:300], url=url) for url in urls if url not in sources]
        Source.objects.bulk_create(new_sources, batch_size=bulk.BATCH)
        sources.update({s.url: s for chunk in bulk.chunks([s.url for s in new_sources]) for s in Source.objects.filter(url__in=chunk)})
        report.created["sources"] = len(new_sources)
        step(0.2)

        new_keys = [key for key in keys if key not in questions]
        new_ids = bulk.insert(
            Question,
            [
                {
                    "key": key,
                    "title": first_row[key].question[:300],
                    "resolution_criteria": first_row[key].question,
                    "resolve_by": first_row[key].resolve_by,
                    "created_at": first_row[key].made_at,
                }
                for key in new_keys
            ],
            user=recorded,
            reason=reason,
        )
        questions.update((key, (pk, "")) for key, pk in zip(new_keys, new_ids, strict=True))
        report.created["questions"] = len(new_keys)
        step(0.4)

        new_predictions, backfilled = [], set()
        for row in fresh:
            analyst_id, question_id = analysts[row.analyst].pk, questions[row.question_key][0]
            key = (analyst_id, question_id, row.made_at, row.probability, row.quote)
            if key in existing:
                continue  # the same forecast twice in one file
            existing.add(key)
            if row.question_key in judged_keys:
                backfilled.add(question_id)
            source = sources.get(row.source_url)
            new_predictions.append(
                {
                    "analyst_id": analyst_id,
                    "question_id": question_id,
                    "source_id": source.pk if source else None,
                    "quote": row.quote,
                    "hedge_phrase": row.hedge_phrase,
                    "probability": row.probability,
                    "basis": Prediction.Basis.STATED,
                    "made_at": row.made_at,
                    "created_by_id": getattr(recorded, "pk", None),
                    "csv_import_id": record.pk,
                }
            )
        # Their audit record is the Import row: no history row per forecast. In analyst order, so that the three
        # indexes that lead with the analyst take them page by page (COPY of 50,000 forecasts by existing analysts
        # into a million: 0.5 s instead of 0.7–1.0 s).
        new_predictions.sort(key=lambda p: (p["analyst_id"], p["question_id"]))
        bulk.insert_without_history(Prediction, new_predictions)
        report.created["predictions"] = len(new_predictions)
        step(0.8)
        # Forecasts added to questions judged before (an admin's backfill) move the stored scores too.
        for ids in bulk.in_sets(backfilled):
            scores.scores_put_in(predictions=Prediction.objects.filter(csv_import=record, question_id__in=ids))

        questions_service.judgements_apply(
            judgements={questions[key][0]: outcome for key, outcome in judge.items()},
            evidence="Imported from CSV.",
            user=user,
            reason=reason,
        )
        report.created["resolutions"] = len(judge)
    return report


def _kept(lines: Iterable[str], read: list[str]) -> Iterable[str]:
    """The lines, each also kept in `read`: the file is recorded with its import."""
    for line in lines:
        read.append(line)
        yield line


def _known_analysts(names: set[str]) -> dict[str, Analyst]:
    """Each name that is an analyst's name or alias in any spelling (its name key), or an analyst's slug (as an
    export writes it) → that analyst."""
    found: dict[str, Analyst] = {}
    by_key: dict[str, list[str]] = {}
    for name in names:
        by_key.setdefault(name_key(name), []).append(name)
    for chunk in bulk.chunks(list(by_key)):
        for entry in AnalystName.objects.filter(key__in=chunk).select_related("analyst"):
            for name in by_key[entry.key]:
                found[name] = entry.analyst
    rest = {name.strip().lower(): name for name in names if name not in found}
    for chunk in bulk.chunks(list(rest)):
        for analyst in Analyst.objects.filter(slug__in=chunk):
            found[rest[analyst.slug]] = analyst
    return found


def _create_missing_analysts(
    known: dict[str, Analyst], names: list[str], *, user, reason: str
) -> tuple[dict[str, Analyst], int]:
    """One new analyst per name key ("Ann Lee" and "ANN LEE" in one file are one person), named as first spelled,
    with its key claimed: the same rule as services/analysts.py, set-based."""
    found = dict(known)
    spellings: dict[str, list[str]] = {}
    for name in dict.fromkeys(names):  # in file order: the first spelling names the analyst
        if name not in known:
            spellings.setdefault(name_key(name), []).append(name)
    if not spellings:
        return found, 0
    taken = set(Analyst.objects.values_list("slug", flat=True))
    new = []
    for key, spelled in spellings.items():
        slug = analysts_service.free_slug(spelled[0], taken=taken)
        taken.add(slug)
        new.append({"name": spelled[0], "slug": slug})
    ids = bulk.insert(Analyst, new, user=rules.recorded_user(user), reason=reason)
    created = {analyst.slug: analyst for analyst in Analyst.objects.filter(pk__in=ids)}
    AnalystName.objects.bulk_create(
        [AnalystName(analyst=created[row["slug"]], key=key) for row, key in zip(new, spellings, strict=True)],
        batch_size=bulk.BATCH,
    )
    for row, spelled in zip(new, spellings.values(), strict=True):
        for name in spelled:
            found[name] = created[row["slug"]]
    return found, len(new)
