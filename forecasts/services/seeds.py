"""The seed loader: the phrase table and the curated articles under seeds/, written through the services."""

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.db import transaction
from django.utils.dateparse import parse_duration

from forecasts import selectors
from forecasts.models import Analyst, Prediction, ProbabilityPhrase, Question, Source, Topic
from forecasts.services import analysts, phrases, predictions, questions
from forecasts.services.rules import SYSTEM
from forecasts.text import normalize_text


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
    known = set(ProbabilityPhrase.objects.values_list("phrase", flat=True))
    for row in _load_yaml(path)["phrases"]:
        if row["phrase"] not in known:
            data = {k: row[k] for k in ("phrase", "probability", "low", "high", "reference")}
            phrases.phrase_create(data=data, user=SYSTEM)
        report.count("phrases", row["phrase"] not in known)


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
        analyst = Analyst.objects.filter(slug=row["slug"]).first()
        report.count("analysts", analyst is None)
        if analyst is None:
            fields = {k: row.get(k, "") for k in ("name", "kind", "affiliation", "title")}
            analyst = analysts.analyst_create(data={**fields, "slug": row["slug"]}, user=SYSTEM)
        for alias in row.get("aliases", []):
            new = selectors.analyst_by_name(name=alias) is None
            if new:
                analysts.alias_create(analyst=analyst, name=alias, user=SYSTEM)
            report.count("aliases", new)

    topics = {}
    for row in data.get("topics", []):
        topics[row["slug"]], created = Topic.objects.get_or_create(slug=row["slug"], defaults={"name": row["name"]})
        report.count("topics", created)

    for claim in data.get("claims", []):
        if claim["quote"] not in text:
            raise SeedError(f"{path.name}: claim {claim['key']}: the quote is not in the normalized text")
        q = claim["question"]
        question = Question.objects.filter(key=claim["key"]).first()
        report.count("questions", question is None)
        if question is None:
            question = questions.question_create(
                data={
                    "key": claim["key"],
                    "title": q["title"],
                    "resolution_criteria": q["resolution_criteria"],
                    "resolve_by": q["resolve_by"],
                    "check_every": parse_duration(q["check_every"]) if q.get("check_every") else None,
                    "created_at": claim["made_at"],
                },
                topics=[topics[slug] for slug in q.get("topics", [])],
                user=SYSTEM,
            )
        analyst = Analyst.objects.get(slug=claim["analyst"])
        known = Prediction.objects.filter(analyst=analyst, question=question, source=source).exists()
        report.count("predictions", not known)
        if not known:
            phrase = ProbabilityPhrase.objects.get(phrase=claim["phrase"]) if claim.get("phrase") else None
            predictions.prediction_create(
                data={
                    "analyst": analyst,
                    "question": question,
                    "source": source,
                    "quote": claim["quote"],
                    "hedge_phrase": claim.get("hedge_phrase", ""),
                    "phrase": phrase,
                    "basis": claim["basis"],
                    "probability": claim.get("probability"),
                    "note": claim.get("note", ""),
                    "made_at": claim["made_at"],
                },
                user=SYSTEM,
            )


def seeds_load(*, directory: Path) -> SeedReport:
    """Load the phrase table and every curated article under `directory`; loading twice adds nothing."""
    report = SeedReport()
    with transaction.atomic():
        phrases_load(path=directory / "phrases.yaml", report=report)
        for path in sorted(directory.glob("*.yaml")):
            if path.name != "phrases.yaml":
                _article_load(path=path, report=report)
    return report
