"""How well the reader finds forecasts in real news it was not written for (README: "How well it reads").

Runs the reader (normalization, then forecasts.reading.read_article with each article's publication date from
SOURCES.md) on the development set, the held-out set (reported as totals only) and the seeded article, and scores
it against the blind labels of tests/articles/real/ as shared/reader-labelling.md says. questions_clean is the
share of proposals matching a core label whose question has no hedge word, no pronoun subject and a deadline in
words. read_50kb_s is the time to read 50 KB of the development set (the parse included, the model loaded).
Refuses to score when a label's span is not verbatim in its article. Not part of the test suite.

    .venv/bin/python tests/benchmarks/bench_reader.py            # targets: see the README
    .venv/bin/python tests/benchmarks/bench_reader.py --rows     # and each development article's figures
    .venv/bin/python tests/benchmarks/bench_reader.py --dev-only # while improving the reader: the held-out set
                                                                 # is left alone (measured at milestones only)
"""

import argparse
import datetime as dt
import re
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from forecasts.reading import read_article  # noqa: E402
from forecasts.reading.nlp import pipeline  # noqa: E402
from forecasts.reading.questions import is_clean  # noqa: E402
from forecasts.text import normalize_text  # noqa: E402
from tests.benchmarks.corpus import CORPUS, Article, Score, load, overlaps, problems, same_speaker, score  # noqa: E402

SEED = ROOT / "seeds" / "yonhap-2024-10-22-nk-troop-dispatch"
_DATE = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")


def publication_dates() -> dict[str, dt.date]:
    """Each article's publication date from SOURCES.md's tables (the 15th when only the month is known)."""
    dates = {}
    for line in (CORPUS / "SOURCES.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 5 or not re.match(r"\d{2,}-", cells[0]):
            continue
        match = _DATE.search(cells[4])
        if match:
            year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3) or 15)
            dates[cells[0]] = dt.date(year, month, day)
    return dates


def run_set(articles: list[Article], dates: list[dt.date], *, rows: bool) -> tuple[Score, int, int]:
    total, clean, questions = Score(), 0, 0
    for article, published in zip(articles, dates):
        found = read_article(normalize_text(article.text), published=published)
        result = score(article, [(c.quote, c.speaker) for c in found])
        total.add(result)
        for candidate in found:
            if any(item.cls == "C" and overlaps(candidate.quote, item.span) and same_speaker(candidate.speaker, item.speaker)
                   for item in article.items):
                questions += 1
                clean += is_clean(candidate.question)
        if rows:
            print(f"  {article.name:<40} C={result.core:<3} B={result.borderline:<3} proposed={result.proposals:<3} "
                  f"matched={result.matched:<3} speaker_errors={result.speaker_errors:<2} "
                  f"recall={result.recall:.2f} precision={result.precision:.2f}")
    return total, clean, questions


def seed_figures() -> tuple[int, int]:
    """How many of the six SPEC claims the reader proposes with the right speaker, and how many drafts in all."""
    curated = yaml.safe_load(SEED.with_suffix(".yaml").read_text(encoding="utf-8"))
    names = {row["slug"]: [row["name"], *row.get("aliases", [])] for row in curated["analysts"]}
    found = read_article(normalize_text(SEED.with_suffix(".txt").read_text(encoding="utf-8")),
                         publisher=curated["source"]["publisher"], published=curated["source"]["published_at"].date())
    claims = 0
    for claim in curated["claims"]:
        claims += any(overlaps(c.quote, claim["quote"]) and any(same_speaker(c.speaker, name) for name in names[claim["analyst"]])
                      for c in found)
    return claims, len(found)


def read_50kb(articles: list[Article]) -> float:
    text = normalize_text("\n\n".join(article.text for article in articles))[:50_000]
    text = text[: text.rfind("\n\n")] if "\n\n" in text else text
    started = time.perf_counter()
    read_article(text, published=dt.date(2025, 6, 2))
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", action="store_true", help="print each development article's figures")
    parser.add_argument("--dev-only", action="store_true", help="leave the held-out set unread and unscored")
    args = parser.parse_args()
    development, holdout = load("dev"), [] if args.dev_only else load("holdout")
    wrong = [problem for article in development + holdout for problem in problems(article)]
    if wrong:
        print("The labels have problems; nothing scored:", *wrong, sep="\n  ")
        return 1
    known = publication_dates()
    missing = [a.name for a in development + holdout if a.name not in known]
    if missing:
        print("SOURCES.md gives no publication date for:", *missing, sep="\n  ")
        return 1
    dev_dates, held_dates = [known[a.name] for a in development], [known[a.name] for a in holdout]
    started = time.perf_counter()
    pipeline()
    load_s = time.perf_counter() - started
    if args.rows:
        print(f"Development set ({len(development)} articles):")
    dev, dev_clean, dev_questions = run_set(development, dev_dates, rows=args.rows)
    held, held_clean, held_questions = run_set(holdout, held_dates, rows=False)
    seed_claims, seed_drafts = seed_figures()
    seconds = read_50kb(development)
    print(f"Development set: C={dev.core} proposed={dev.proposals} matched={dev.matched} on_borderline={dev.on_borderline} "
          f"speaker_errors={dev.speaker_errors}")
    print(f"Held-out set ({len(holdout)} articles): C={held.core} proposed={held.proposals} matched={held.matched} "
          f"speaker_errors={held.speaker_errors}")
    print(f"Model loaded in {load_s:.2f} s")
    clean = (dev_clean + held_clean) / (dev_questions + held_questions) if dev_questions + held_questions else 0.0
    print(
        f"READER recall={dev.recall:.2f} precision={dev.precision:.2f} speaker_errors={dev.speaker_errors} "
        f"articles={len(development)} holdout_recall={held.recall:.2f} holdout_precision={held.precision:.2f} "
        f"holdout_articles={len(holdout)} questions_clean={clean:.2f} seed_claims={seed_claims}/6 "
        f"seed_drafts={seed_drafts} read_50kb_s={seconds:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
