"""CSV import and export of forecasts (SPEC.md "CSV import").

Import is all or nothing: every row is checked first and a bad row rejects the file with its line number and
reason. Re-importing the same file adds nothing. Writes are bulk, in one transaction, so tens of thousands of
rows take seconds.
"""

import csv
import datetime as dt
import functools
import hashlib
import io
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import slugify

from forecasts.models import (
    Analyst,
    AnalystAlias,
    Outcome,
    Prediction,
    Question,
    Resolution,
    ResolutionCheck,
    Source,
)
from forecasts.services import analyst_scores_refresh, analysts_of_questions

REQUIRED_COLUMNS = ["analyst", "question", "probability", "made_at", "resolve_by", "outcome"]
OPTIONAL_COLUMNS = ["question_key", "quote", "source_url", "hedge_phrase"]
OUTCOMES = frozenset(Outcome.values)
MAX_ERRORS = 50
BATCH = 1000
IMPORT_LOCK_KEY = 0x48494E44  # "HIND": the advisory lock that serializes imports


class ImportRejected(Exception):
    def __init__(self, errors: list[str]):
        self.errors = errors
        more = f" (and more; first {MAX_ERRORS} shown)" if len(errors) >= MAX_ERRORS else ""
        super().__init__(f"nothing imported: {len(errors)} error(s){more}\n" + "\n".join(errors))


@dataclass
class ImportReport:
    rows: int = 0
    created: dict[str, int] = field(default_factory=dict)

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


@functools.lru_cache(maxsize=4096)  # a file repeats its dates: parse each once
def _parse_when(value: str) -> dt.datetime | None:
    value = value.strip()
    when = parse_datetime(value)
    if when is None:
        day = parse_date(value)
        if day is None:
            return None
        when = dt.datetime.combine(day, dt.time())
    return when if timezone.is_aware(when) else timezone.make_aware(when, dt.timezone.utc)


@functools.lru_cache(maxsize=65536)  # one question's rows repeat its text; slugify is slow
def question_key_for(text: str) -> str:
    """A stable Question.key for a CSV question_key (or question text) that is not already a slug."""
    text = text.strip()
    if slugify(text) == text and len(text) <= 200:
        return text
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
    return f"{slugify(text)[:180]}-{digest}".lstrip("-")


def _parse_rows(lines: Iterable[str]) -> tuple[list[_Row], list[str]]:
    reader = csv.DictReader(lines)
    header = [name.strip() for name in (reader.fieldnames or [])]
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
    reader.fieldnames = header
    url_ok = URLValidator()
    rows, errors = [], []
    for raw in reader:
        line = reader.line_num
        if None in raw:
            errors.append(f"line {line}: more fields than columns")
            continue
        cell = {key: (value or "").strip() for key, value in raw.items()}
        if not any(cell.values()):
            continue
        problems = []
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
        made_at, resolve_by = _parse_when(cell["made_at"]), _parse_when(cell["resolve_by"])
        if made_at is None:
            problems.append(f"made_at {cell['made_at']!r} is not a date (YYYY-MM-DD or ISO 8601)")
        if resolve_by is None:
            problems.append(f"resolve_by {cell['resolve_by']!r} is not a date (YYYY-MM-DD or ISO 8601)")
        outcome = cell["outcome"].lower()
        if outcome and outcome not in OUTCOMES:
            problems.append(f"outcome {cell['outcome']!r} is not one of yes, no, ambiguous, annulled or empty")
        if cell.get("source_url"):
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
                    source_url=cell.get("source_url", ""),
                    hedge_phrase=cell.get("hedge_phrase", "")[:100],
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


def _max_params() -> int:
    # SQLite refuses a statement with more parameters than its build allows (250,000 on a current one, 999 on
    # an old one; Django assumes 999); PostgreSQL's protocol allows 65,535.
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return connection.features.max_query_params or 65_535


def _chunks(items: list) -> Iterator[list]:
    size = min(_max_params(), 20_000) - 10
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _analysts(names: set[str]) -> tuple[dict[str, Analyst], int]:
    """Map each name to an analyst (by name, slug or alias, case-insensitive), creating the missing ones."""
    found: dict[str, Analyst] = {}
    by_lower = {name.lower(): name for name in names}
    for chunk in _chunks(list(by_lower)):
        matches = Analyst.objects.annotate(lower_name=Lower("name")).filter(
            Q(lower_name__in=chunk) | Q(slug__in=chunk)
        )
        for analyst in matches:
            for key in (analyst.lower_name, analyst.slug):
                if key in by_lower:
                    found[by_lower[key]] = analyst
        aliases = AnalystAlias.objects.annotate(lower_name=Lower("name")).filter(lower_name__in=chunk)
        for alias in aliases.select_related("analyst"):
            found.setdefault(by_lower[alias.lower_name], alias.analyst)
    missing = sorted(names - set(found))
    if missing:
        taken = set(Analyst.objects.values_list("slug", flat=True))
        new = []
        for name in missing:
            base = slugify(name)[:90] or "analyst"
            slug, n = base, 2
            while slug in taken:
                slug, n = f"{base}-{n}", n + 1
            taken.add(slug)
            new.append(Analyst(name=name[:200], slug=slug))
        Analyst.objects.bulk_create(new, batch_size=BATCH)
        for analyst in Analyst.objects.filter(slug__in=[a.slug for a in new]):
            found[analyst.name] = analyst
    return found, len(missing)


def _one_import_at_a_time() -> None:
    """Serialize imports: two copies of one file at once would both see its predictions as new.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: write transactions are serialized already
    (IMMEDIATE), so there is nothing to do.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK_KEY])


def forecasts_import(*, lines: Iterable[str], user=None) -> ImportReport:
    """Import forecasts from CSV text lines; raises ImportRejected (nothing written) on any bad row."""
    rows, errors = _parse_rows(lines)
    errors += _check_outcomes_agree(rows)
    if errors:
        raise ImportRejected(errors[:MAX_ERRORS])
    report = ImportReport(rows=len(rows))
    if not rows:
        return report

    with transaction.atomic():
        _one_import_at_a_time()
        analysts, report.created["analysts"] = _analysts({row.analyst for row in rows})

        urls = sorted({row.source_url for row in rows if row.source_url})
        sources = {s.url: s for chunk in _chunks(urls) for s in Source.objects.filter(url__in=chunk)}
        new_sources = [Source(title=url[:300], url=url) for url in urls if url not in sources]
        Source.objects.bulk_create(new_sources, batch_size=BATCH)
        sources.update({s.url: s for chunk in _chunks([s.url for s in new_sources]) for s in Source.objects.filter(url__in=chunk)})
        report.created["sources"] = len(new_sources)

        keys = sorted({row.question_key for row in rows})
        questions: dict[str, tuple[int, str]] = {}  # key → (pk, current outcome)
        for chunk in _chunks(keys):
            questions.update((key, (pk, outcome)) for key, pk, outcome in
                             Question.objects.filter(key__in=chunk).values_list("key", "pk", "outcome"))
        first_row = {}
        for row in rows:
            first_row.setdefault(row.question_key, row)
            if row.made_at < first_row[row.question_key].made_at:
                first_row[row.question_key] = row
        new_keys = [key for key in keys if key not in questions]
        new_ids = _insert(
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
            user=user,
        )
        questions.update((key, (pk, "")) for key, pk in zip(new_keys, new_ids, strict=True))
        report.created["questions"] = len(new_keys)

        # Only questions that were there before can hold this file's predictions already.
        new_keys_set = set(new_keys)
        old_question_ids = [pk for key, (pk, _) in questions.items() if key not in new_keys_set]
        existing = set()
        for chunk in _chunks(old_question_ids):
            existing.update(
                Prediction.objects.filter(question_id__in=chunk).values_list(
                    "analyst_id", "question_id", "made_at", "probability", "quote"
                )
            )
        new_predictions = []
        user_id = user.pk if user is not None else None
        for row in rows:
            analyst_id, question_id = analysts[row.analyst].pk, questions[row.question_key][0]
            identity = (analyst_id, question_id, row.made_at, row.probability, row.quote)
            if identity in existing:
                continue
            existing.add(identity)
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
                    "created_by_id": user_id,
                }
            )
        _insert(Prediction, new_predictions, user=user)
        report.created["predictions"] = len(new_predictions)

        # Outcomes: a question whose current outcome differs from the file's gets a new judgement appended.
        now = timezone.now()
        to_judge = {}
        for key, row in first_row.items():
            if row.outcome and questions[key][1] != row.outcome:
                to_judge[questions[key][0]] = row.outcome
        user_id = user.pk if user is not None else None
        _insert(
            Resolution,
            [
                {
                    "question_id": pk, "outcome": outcome, "evidence": "Imported from CSV.", "resolved_by_id": user_id,
                    "resolved_at": now,
                }
                for pk, outcome in to_judge.items()
            ],
            user=user,
        )
        judged = []
        kept = {f.attname for f in Question.history.model._meta.concrete_fields}
        columns = [f for f in Question._meta.concrete_fields if f.attname in kept]
        for outcome in set(to_judge.values()):
            ids = [pk for pk, o in to_judge.items() if o == outcome]
            for chunk in _chunks(ids):
                judged += _judge(chunk, outcome=outcome, now=now, columns=columns)
        _record_history(Question, judged, user=user, history_type="~")
        report.created["resolutions"] = len(to_judge)
        # Bulk writes skip the signals that keep the stored scores current: refresh the analysts touched.
        judged_analysts = analysts_of_questions(question_ids=set(to_judge) & set(old_question_ids))
        analyst_scores_refresh(analyst_ids={p["analyst_id"] for p in new_predictions} | judged_analysts)
    return report


def _judge(ids: list[int], *, outcome: str, now: dt.datetime, columns: list) -> list[dict]:
    """Set these questions' current outcome, move their versions on and complete their open checks; their new
    rows, for the audit trail."""
    if connection.vendor != "postgresql":
        Question.objects.filter(pk__in=ids).update(outcome=outcome, version=F("version") + 1, updated_at=now)
        ResolutionCheck.objects.filter(question_id__in=ids, status__in=ResolutionCheck.NOT_DONE).update(
            status=ResolutionCheck.Status.DONE, completed_at=now
        )
        return list(Question.objects.filter(pk__in=ids).values(*[f.attname for f in columns]))
    # One statement with the ids as one array parameter, returning the rows: an IN list of thousands of
    # parameters costs more to build than to run.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE forecasts_question SET outcome = %s, version = version + 1, updated_at = %s WHERE id = ANY(%s) "
            f"RETURNING {', '.join(connection.ops.quote_name(f.column) for f in columns)}",
            [outcome, now, ids],
        )
        rows = [dict(zip([f.attname for f in columns], row, strict=True)) for row in cursor.fetchall()]
        cursor.execute(
            # A join with the ids, not `question_id = ANY(…)`: against a parameter array PostgreSQL compares every
            # row with every id (a second per 3,000 ids at 100,000 checks), while the join hashes them.
            "UPDATE forecasts_resolutioncheck SET status = %s, completed_at = %s FROM unnest(%s::bigint[]) AS judged(id) "
            "WHERE question_id = judged.id AND status = ANY(%s)",
            [ResolutionCheck.Status.DONE.value, now, ids, [status.value for status in ResolutionCheck.NOT_DONE]],
        )
        return rows


def _insert(model, rows: list[dict], *, user) -> list[int]:
    """Insert rows (field attname → value; the rest take their defaults) with their audit-trail rows; their pks.

    PostgreSQL: COPY, with primary keys drawn from the sequence first, and no model instance built (bulk_create
    and bulk_history_create spent most of an import building and preparing instances: ~3,000 rows/s). SQLite:
    bulk_create.
    """
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objs = model.objects.bulk_create([model(**row) for row in rows], batch_size=BATCH)
        _history(objs, model, user)
        return [obj.pk for obj in objs]
    # auto_now(_add) columns are plain columns in the history table: give both the same time.
    now = timezone.now()
    stamped = [f for f in model._meta.concrete_fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    stamps = {f.attname: now for f in stamped}
    pk_name = model._meta.pk.attname
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, len(rows)],
        )
        rows = [{**stamps, **row, pk_name: pk} for (pk,), row in zip(cursor.fetchall(), rows, strict=True)]
        _copy(cursor, model, rows, with_pk=True)
    _record_history(model, rows, user=user, history_type="+")
    return [row[pk_name] for row in rows]


def _record_history(model, rows: list[dict], *, user, history_type: str) -> None:
    """The audit trail of rows written in bulk (bulk writes skip the per-row history signal): `rows` hold every
    field's attname; history_type "+" for created, "~" for changed."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        _history([model(**row) for row in rows], model, user, update=history_type == "~")
        return
    history = {
        "history_date": timezone.now(),
        "history_change_reason": "CSV import",
        "history_type": history_type,
        "history_user_id": user.pk if user is not None else None,
    }
    with connection.cursor() as cursor:
        _copy(cursor, model.history.model, ({**row, **history} for row in rows), with_pk=False)


def _copy(cursor, model, rows: Iterable[dict], *, with_pk: bool) -> None:
    """COPY rows into model's table: every concrete column (the primary key too, when `with_pk`); a column
    missing from a row takes the field's default."""
    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    defaults = [(f.attname, f.get_default()) for f in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    # Binary COPY: neither side formats or parses text (about 15% faster for the whole import here).
    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types([f.db_type(connection).split("(")[0] for f in fields])
        for row in rows:
            copy.write_row([row.get(name, value) for name, value in defaults])


def _history(objs: list, model, user, update: bool = False) -> None:
    """The audit trail for rows written in bulk (bulk writes skip the per-row history signal)."""
    if objs:
        model.history.bulk_history_create(
            objs, update=update, default_user=user, default_change_reason="CSV import", batch_size=BATCH
        )


EXPORT_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS


def predictions_export(*, predictions) -> Iterator[str]:
    """Predictions as CSV lines in the import format, so an export re-imports as nothing new."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(EXPORT_COLUMNS)
    yield flush()
    rows = predictions.select_related("analyst", "question", "source").order_by("question_id", "made_at", "id")
    for prediction in rows.iterator(chunk_size=2000):
        question = prediction.question
        writer.writerow(
            [
                prediction.analyst.slug,
                question.title,
                repr(prediction.probability),
                prediction.made_at.isoformat(),
                question.resolve_by.isoformat(),
                question.outcome,
                question.key,
                prediction.quote,
                prediction.source.url if prediction.source else "",
                prediction.hedge_phrase,
            ]
        )
        yield flush()
