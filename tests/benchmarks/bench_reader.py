"""How well the reader finds forecasts in real news it was not written for (README: "How well it reads").

Runs the reader (normalization, then forecasts.ingest.find_candidates) on the development set, the held-out set
(reported as totals only) and the seeded article, and scores it against the blind labels of tests/articles/real/
as shared/reader-labelling.md says. Refuses to score when a label's span is not verbatim in its article. Not part
of the test suite; about a second of work.

    .venv/bin/python tests/benchmarks/bench_reader.py
"""

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from forecasts.ingest import find_candidates  # noqa: E402
from forecasts.text import normalize_text  # noqa: E402
from tests.benchmarks.corpus import Article, Score, load, overlaps, problems, same_speaker, score  # noqa: E402

SEED = ROOT / "seeds" / "yonhap-2024-10-22-nk-troop-dispatch"


def proposals(text: str, publisher: str = "") -> list[tuple[str, str]]:
    return [(c.quote, c.speaker) for c in find_candidates(normalize_text(text), publisher=publisher)]


def run_set(articles: list[Article], *, rows: bool) -> Score:
    total = Score()
    for article in articles:
        result = score(article, proposals(article.text))
        total.add(result)
        if rows:
            print(f"  {article.name:<40} C={result.core:<3} B={result.borderline:<3} proposed={result.proposals:<3} "
                  f"matched={result.matched:<3} speaker_errors={result.speaker_errors:<2} "
                  f"recall={result.recall:.2f} precision={result.precision:.2f}")
    return total


def seed_figures() -> tuple[int, int]:
    """How many of the six SPEC claims the reader proposes with the right speaker, and how many drafts in all."""
    curated = yaml.safe_load(SEED.with_suffix(".yaml").read_text(encoding="utf-8"))
    names = {row["slug"]: [row["name"], *row.get("aliases", [])] for row in curated["analysts"]}
    found = proposals(SEED.with_suffix(".txt").read_text(encoding="utf-8"), publisher=curated["source"]["publisher"])
    claims = 0
    for claim in curated["claims"]:
        claims += any(overlaps(quote, claim["quote"]) and any(same_speaker(speaker, name) for name in names[claim["analyst"]])
                      for quote, speaker in found)
    return claims, len(found)


def main() -> int:
    development, holdout = load("dev"), load("holdout")
    wrong = [problem for article in development + holdout for problem in problems(article)]
    if wrong:
        print("The labels have problems; nothing scored:", *wrong, sep="\n  ")
        return 1
    print(f"Development set ({len(development)} articles):")
    dev = run_set(development, rows=True)
    held = run_set(holdout, rows=False)
    print(f"Held-out set ({len(holdout)} articles): C={held.core} proposed={held.proposals} matched={held.matched} "
          f"speaker_errors={held.speaker_errors}")
    seed_claims, seed_drafts = seed_figures()
    print(
        f"READER recall={dev.recall:.2f} precision={dev.precision:.2f} speaker_errors={dev.speaker_errors} "
        f"articles={len(development)} holdout_recall={held.recall:.2f} holdout_precision={held.precision:.2f} "
        f"holdout_articles={len(holdout)} seed_claims={seed_claims}/6 seed_drafts={seed_drafts}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
