"""What reading an article costs while a client waits: article_ingest (normalize, parse, read, write the source
and its drafts) on real news of 10 to 100 KB (the development corpus, concatenated), the model already loaded.
The synchronous budget INGEST_SYNC_MAX_BYTES is set from these figures (README "Work bounds").

    .venv/bin/python tests/benchmarks/bench_ingest_budget.py                       # SQLite, a scratch file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hindsight_budget .venv/bin/python tests/benchmarks/bench_ingest_budget.py

The database named by DATABASE_URL (or /tmp/hindsight-budget.sqlite3) is migrated and written to: use a scratch one.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/hindsight-budget.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from forecasts.reading.nlp import pipeline  # noqa: E402
from forecasts.services.drafts import article_ingest  # noqa: E402
from forecasts.services.rules import SYSTEM  # noqa: E402
from forecasts.services.seeds import SeedReport, phrases_load  # noqa: E402

SIZES = (10_000, 25_000, 50_000, 100_000)
CORPUS = sorted((ROOT / "tests" / "articles" / "real" / "dev").glob("*.txt"))


def article(size: int, variant: int) -> str:
    """Real news, whole paragraphs, about `size` bytes; each variant a different text (a new source each time)."""
    paragraphs = [p for path in CORPUS for p in path.read_text(encoding="utf-8").split("\n\n")]
    start = (variant * 37) % len(paragraphs)
    chosen, total = [f"Budget run {size} {variant}"], 0
    for paragraph in paragraphs[start:] + paragraphs[:start]:
        if total + len(paragraph.encode()) > size:
            break
        chosen.append(paragraph)
        total += len(paragraph.encode()) + 2
    return "\n\n".join(chosen) + "\n"


def main() -> None:
    call_command("migrate", verbosity=0)
    phrases_load(path=ROOT / "seeds" / "phrases.yaml", report=SeedReport())
    pipeline()
    engine = django.db.connection.vendor
    print(f"article_ingest on {engine}, the model loaded (median of 3 texts each)")
    print(f"{'size':>10}{'seconds':>10}{'drafts':>8}")
    figures = {}
    for size in SIZES:
        times, drafts = [], 0
        for variant in range(3):
            text = article(size, variant + size)
            started = time.perf_counter()
            report = article_ingest(text=text, publisher="Bench", user=SYSTEM)
            times.append(time.perf_counter() - started)
            drafts = len(report.drafts)
        figures[size] = statistics.median(times)
        print(f"{size:>10,}{figures[size]:>10.2f}{drafts:>8}")
    print("RESULT " + " ".join(f"ingest_{size // 1000}kb_s={seconds:.2f}" for size, seconds in figures.items()))


if __name__ == "__main__":
    main()
