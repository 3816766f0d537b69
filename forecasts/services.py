"""Writes. Each service is one transaction; races are settled by the database."""

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_duration

from forecasts import selectors
from forecasts.models import (
    REOPENED,
    SCORED_OUTCOMES,
    Analyst,
    AnalystAlias,
    AnalystBinSums,
    Outcome,
    Prediction,
    ProbabilityPhrase,
    Question,
    Resolution,
    ResolutionCheck,
    Source,
    Topic,
)
from forecasts.text import normalize_text

ANALYSTS_GROUP = "analysts"
API_READERS_GROUP = "api-readers"


class StaleVersion(Exception):
    """The question changed since the client read it (its version moved on)."""

    def __init__(self, current_version: int):
        super().__init__(f"The question was changed meanwhile; it is now at version {current_version}.")
        self.current_version = current_version


def _append_resolution(
    *, question_id: int, outcome: str, evidence: str, evidence_url: str, user, expected_version: int | None
) -> Resolution:
    current_outcome = "" if outcome == REOPENED else outcome
    with transaction.atomic():
        questions = Question.objects.filter(pk=question_id)
        if expected_version is not None:
            questions = questions.filter(version=expected_version)
        # One conditional UPDATE both takes the row lock and checks the version: of two concurrent resolves
        # with the same version, the second sees zero rows changed and loses.
        changed = questions.update(outcome=current_outcome, version=F("version") + 1, updated_at=timezone.now())
        if changed != 1:
            current = Question.objects.filter(pk=question_id).values_list("version", flat=True).first()
            if current is None:
                raise Question.DoesNotExist(f"No question {question_id}.")
            raise StaleVersion(current)
        resolution = Resolution(
            question_id=question_id, outcome=outcome, evidence=evidence, evidence_url=evidence_url, resolved_by=user
        )
        resolution._history_user = user
        resolution.save()
        # The conditional UPDATE above skips the per-row history signal: record the question's new state here.
        Question.history.bulk_history_create(
            [Question.objects.get(pk=question_id)],
            update=True,
            default_user=user,
            default_change_reason="reopened" if outcome == REOPENED else f"resolved: {outcome}",
        )
        if outcome != REOPENED:
            ResolutionCheck.objects.filter(question_id=question_id, status__in=ResolutionCheck.NOT_DONE).update(
                status=ResolutionCheck.Status.DONE, completed_at=resolution.resolved_at
            )
        analyst_scores_refresh(analyst_ids=analysts_of_questions(question_ids=[question_id]))
    return resolution


def analyst_scores_refresh(*, analyst_ids: Iterable[int] | None = None) -> None:
    """Rewrite the stored bin sums of these analysts (None: of every analyst) from their scored predictions.

    Called inside every write that changes what is scored, in that write's transaction.
    """
    with transaction.atomic():
        analysts = Analyst.objects.order_by("pk")
        if analyst_ids is not None:
            wanted = sorted({pk for pk in analyst_ids if pk is not None})
            if not wanted:
                return
            analysts = analysts.filter(pk__in=wanted)
        # Two writers refreshing one analyst at once would each miss the other's uncommitted change. The row
        # lock (taken in id order, so two writers cannot deadlock) makes the second wait, and its next statement
        # then reads what the first committed. NO KEY UPDATE does not block inserting a prediction, which takes
        # KEY SHARE on its analyst.
        ids = list(analysts.select_for_update(no_key=True).values_list("pk", flat=True))
        stored, predictions = AnalystBinSums.objects.all(), selectors.scored_predictions()
        if analyst_ids is not None:
            stored, predictions = stored.filter(analyst_id__in=ids), predictions.filter(analyst_id__in=ids)
        stored.delete()
        # INSERT … SELECT: the sums go from the aggregate straight into the table, never through Python.
        sums = selectors.bin_sums_by_analyst(predictions, bins=AnalystBinSums.BINS)
        select_sql, params = sums.query.sql_with_params()
        columns = ", ".join(AnalystBinSums._meta.get_field(name).column for name in ("analyst", "bin", *selectors.SUM_FIELDS))
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {AnalystBinSums._meta.db_table} ({columns}) {select_sql}", params)


def analysts_of_questions(*, question_ids: Iterable[int]) -> set[int]:
    """The ids of the analysts who forecast on these questions."""
    question_ids, analyst_ids = list(question_ids), set()
    for start in range(0, len(question_ids), 5000):
        chunk = question_ids[start : start + 5000]
        analyst_ids.update(Prediction.objects.filter(question_id__in=chunk).values_list("analyst_id", flat=True).distinct())
    return analyst_ids


def prediction_scores_follow(*, prediction: Prediction) -> None:
    """After a forecast is saved or deleted: refresh its analysts if it is, or was, on a judged question."""
    analysts = {prediction.analyst_id, getattr(prediction, "_loaded_analyst_id", None)}
    questions = {prediction.question_id, getattr(prediction, "_loaded_question_id", None)} - {None}
    if Question.objects.filter(pk__in=questions, outcome__in=SCORED_OUTCOMES).exists():
        analyst_scores_refresh(analyst_ids=analysts)


def question_resolve(
    *,
    question_id: int,
    outcome: str,
    evidence: str = "",
    evidence_url: str = "",
    user=None,
    expected_version: int | None = None,
) -> Resolution:
    """Judge a question: append a Resolution row, make it current, and complete its open checks."""
    if outcome not in Outcome.values:
        raise ValueError(f"Unknown outcome {outcome!r}; use one of {', '.join(Outcome.values)}.")
    return _append_resolution(
        question_id=question_id,
        outcome=outcome,
        evidence=evidence,
        evidence_url=evidence_url,
        user=user,
        expected_version=expected_version,
    )


def question_unresolve(*, question_id: int, reason: str, user=None, expected_version: int | None = None) -> Resolution:
    """Reopen a question by appending a `reopened` row; its earlier judgements stay in the history."""
    return _append_resolution(
        question_id=question_id,
        outcome=REOPENED,
        evidence=reason,
        evidence_url="",
        user=user,
        expected_version=expected_version,
    )


def question_create(*, data: dict, topics: list | None = None, user=None) -> Question:
    with transaction.atomic():
        question = Question(**data)
        question._history_user = user
        question.save()
        if topics:
            question.topics.set(topics)
    return question


def question_update(
    *, question_id: int, data: dict, topics: list | None = None, expected_version: int | None = None, user=None
) -> Question:
    """Edit a question; every edit moves its version on, and a stale `expected_version` loses."""
    with transaction.atomic():
        question = Question.objects.select_for_update().get(pk=question_id)
        if expected_version is not None and question.version != expected_version:
            raise StaleVersion(question.version)
        for name, value in data.items():
            setattr(question, name, value)
        question.version += 1
        question._history_user = user
        question.save()
        if topics is not None:
            question.topics.set(topics)
    return question


class NotAllowed(Exception):
    """The user may not make this change (an object rule, beyond the role's permissions)."""


class FrozenPrediction(Exception):
    """A forecast on a judged question cannot change what is scored."""


# What a forecast says about the future; once its question is judged, changing these would rewrite a score.
SCORED_FIELDS = {"analyst", "question", "probability", "basis", "phrase", "made_at"}


def prediction_editable_by(*, analyst: Analyst, user) -> bool:
    """An in-house analyst's own forecasts are theirs alone (and the admins'); others' are anyone's with the role."""
    return analyst.user_id is None or analyst.user_id == user.pk or user.is_superuser


def prediction_create(*, data: dict, user=None) -> Prediction:
    """Record a forecast; a `phrase` prediction takes its probability from the phrase table."""
    if user is not None and not prediction_editable_by(analyst=data["analyst"], user=user):
        raise NotAllowed(f"{data['analyst'].name} logs their own forecasts; you cannot add one in their name.")
    prediction = Prediction(**data, created_by=user)
    if prediction.basis == Prediction.Basis.PHRASE and prediction.phrase is not None:
        prediction.probability = prediction.phrase.probability
    prediction.full_clean()
    prediction._history_user = user
    prediction.save()
    return prediction


def prediction_update(*, prediction_id: int, data: dict, user) -> Prediction:
    """Edit a forecast. The owner rule holds for the old and the new analyst; a judged question freezes the score."""
    with transaction.atomic():
        prediction = Prediction.objects.select_for_update().select_related("analyst", "question").get(pk=prediction_id)
        new_analyst = data.get("analyst", prediction.analyst)
        if not (prediction_editable_by(analyst=prediction.analyst, user=user)
                and prediction_editable_by(analyst=new_analyst, user=user)):
            raise NotAllowed(f"{prediction.analyst.name} logs their own forecasts; only they can change them.")
        changed = {name for name, value in data.items() if getattr(prediction, name) != value}
        if prediction.question.outcome and changed & SCORED_FIELDS:
            raise FrozenPrediction(
                "The question is judged: its forecasts' "
                + ", ".join(sorted(changed & SCORED_FIELDS))
                + " are frozen. Un-resolve the question first if the record is wrong."
            )
        for name, value in data.items():
            setattr(prediction, name, value)
        if prediction.basis == Prediction.Basis.PHRASE and prediction.phrase is not None:
            prediction.probability = prediction.phrase.probability
        prediction.full_clean()
        prediction._history_user = user
        prediction.save()
    return prediction


# --- Seeds -----------------------------------------------------------------------------------------------------


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, created: bool) -> None:
        self.created[kind] = self.created.get(kind, 0) + int(created)

    def __str__(self) -> str:
        parts = [f"{n} {kind}" for kind, n in self.created.items() if n]
        return "created " + ", ".join(parts) if parts else "nothing new"


class SeedError(Exception):
    pass


def _load_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SeedError(f"{path.name}: cannot read it ({exc.__class__.__name__}: {exc})".splitlines()[0]) from None
    if not isinstance(data, dict):
        raise SeedError(f"{path.name}: expected a mapping at the top level")
    return data


def phrases_load(*, path: Path, report: SeedReport) -> None:
    """Add the default phrase rows that are missing; rows edited in the admin are left as they are."""
    for row in _load_yaml(path)["phrases"]:
        _, created = ProbabilityPhrase.objects.get_or_create(
            phrase=row["phrase"],
            defaults={k: row[k] for k in ("probability", "low", "high", "reference")},
        )
        report.count("phrases", created)


def _article_load(*, path: Path, report: SeedReport) -> None:
    data = _load_yaml(path)
    meta = data["source"]
    raw = (path.parent / meta["raw_file"]).read_text(encoding="utf-8")
    text = normalize_text(raw)
    normalized_file = path.parent / meta["normalized_file"]
    if normalized_file.read_text(encoding="utf-8") != text:
        raise SeedError(f"{normalized_file.name} is not the normalized form of {meta['raw_file']}")

    lookup = {"url": meta["url"]} if meta.get("url") else {"title": meta["title"], "published_at": meta["published_at"]}
    source, created = Source.objects.get_or_create(
        **lookup,
        defaults={
            "title": meta["title"],
            "publisher": meta.get("publisher", ""),
            "url": meta.get("url", ""),
            "published_at": meta["published_at"],
            "raw_text": raw,
            "text": text,
        },
    )
    report.count("sources", created)

    for row in data.get("analysts", []):
        analyst, created = Analyst.objects.get_or_create(
            slug=row["slug"],
            defaults={k: row.get(k, "") for k in ("name", "kind", "affiliation", "title")},
        )
        report.count("analysts", created)
        for alias in row.get("aliases", []):
            _, created = AnalystAlias.objects.get_or_create(name=alias, defaults={"analyst": analyst})
            report.count("aliases", created)

    topics = {}
    for row in data.get("topics", []):
        topics[row["slug"]], created = Topic.objects.get_or_create(slug=row["slug"], defaults={"name": row["name"]})
        report.count("topics", created)

    for claim in data.get("claims", []):
        if claim["quote"] not in text:
            raise SeedError(f"{path.name}: claim {claim['key']}: the quote is not in the normalized text")
        q = claim["question"]
        question, created = Question.objects.get_or_create(
            key=claim["key"],
            defaults={
                "title": q["title"],
                "resolution_criteria": q["resolution_criteria"],
                "resolve_by": q["resolve_by"],
                "check_every": parse_duration(q["check_every"]) if q.get("check_every") else None,
                "created_at": claim["made_at"],
            },
        )
        report.count("questions", created)
        if created:
            question.topics.set([topics[slug] for slug in q.get("topics", [])])
        analyst = Analyst.objects.get(slug=claim["analyst"])
        phrase = ProbabilityPhrase.objects.get(phrase=claim["phrase"]) if claim.get("phrase") else None
        _, created = Prediction.objects.get_or_create(
            analyst=analyst,
            question=question,
            source=source,
            defaults={
                "quote": claim["quote"],
                "hedge_phrase": claim.get("hedge_phrase", ""),
                "phrase": phrase,
                "basis": claim["basis"],
                "probability": claim.get("probability", phrase.probability if phrase else None),
                "note": claim.get("note", ""),
                "made_at": claim["made_at"],
            },
        )
        report.count("predictions", created)


def seeds_load(*, directory: Path) -> SeedReport:
    """Load the phrase table and every curated article under `directory`; loading twice adds nothing."""
    report = SeedReport()
    with transaction.atomic():
        phrases_load(path=directory / "phrases.yaml", report=report)
        for path in sorted(directory.glob("*.yaml")):
            if path.name != "phrases.yaml":
                _article_load(path=path, report=report)
    return report


# --- Users -----------------------------------------------------------------------------------------------------


def demo_user_ensure(*, username: str = "demo", reset_password: bool = False) -> tuple[object, str | None]:
    """Create the demo analyst login; return (user, password) with the password only when it was just set."""
    User = get_user_model()
    with transaction.atomic():
        user, created = User.objects.get_or_create(
            username=username, defaults={"is_staff": True, "email": f"{username}@localhost"}
        )
        user.groups.add(Group.objects.get(name=ANALYSTS_GROUP))
        password = None
        if created or reset_password:
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.save(update_fields=["password"])
    return user, password


def months_after(when: dt.datetime, months: int) -> dt.datetime:
    """The same day and time `months` later (clamped to the month's last day)."""
    month_index = when.month - 1 + months
    year, month = when.year + month_index // 12, month_index % 12 + 1
    for day in range(when.day, 0, -1):
        try:
            return when.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")
