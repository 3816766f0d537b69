"""CSV import throughput, against a naive row-by-row ORM import measured in the same run.

    .venv/bin/python tests/benchmarks/bench_import.py [--rows 50000] [--database-url URL]

Uses a throw-away SQLite file unless --database-url is given (a PostgreSQL URL's database is used as is:
point it at a scratch database). Not part of the test suite.
"""

import argparse
import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def make_csv(rows: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    lines = ["analyst,question,probability,made_at,resolve_by,outcome,question_key"]
    for i in range(rows):
        question = i // 4
        outcome = ("yes", "no", "", "ambiguous")[question % 4]
        lines.append(
            f"Expert {rng.randrange(500)},Will event {question} happen?,{rng.random():.4f},"
            f"2024-{1 + i % 12:02d}-01,2025-06-01,{outcome},event-{question}"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--naive-rows", type=int, default=2_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    scratch = tempfile.mkdtemp()
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{scratch}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils.dateparse import parse_date

    from forecasts.services.imports import forecasts_import
    from forecasts.services.rules import SYSTEM
    from forecasts.models import Analyst, Prediction, Question

    call_command("migrate", verbosity=0)
    text = make_csv(args.rows)

    start = time.perf_counter()
    forecasts_import(lines=io.StringIO(text), user=SYSTEM)
    bulk_s = time.perf_counter() - start
    assert Prediction.objects.count() == args.rows

    start = time.perf_counter()
    forecasts_import(lines=io.StringIO(text), user=SYSTEM)
    again_s = time.perf_counter() - start
    assert Prediction.objects.count() == args.rows

    # Baseline: what one would write first, a get_or_create per row.
    naive = make_csv(args.naive_rows, seed=2).splitlines()[1:]
    start = time.perf_counter()
    with transaction.atomic():
        for line in naive:
            name, title, p, made, due, outcome, key = line.split(",")
            analyst, _ = Analyst.objects.get_or_create(slug=f"naive-{name.split()[1]}", defaults={"name": f"N {name}"})
            question, _ = Question.objects.get_or_create(
                key=f"naive-{key}", defaults={"title": title, "resolution_criteria": title, "resolve_by": parse_date(due)}
            )
            Prediction.objects.get_or_create(
                analyst=analyst, question=question, probability=float(p), made_at=parse_date(made), defaults={"basis": "stated"}
            )
    naive_s = time.perf_counter() - start

    bulk_rate, naive_rate = args.rows / bulk_s, args.naive_rows / naive_s
    print(f"database: {connection.vendor}")
    print(f"{'what':<34}{'rows':>9}{'seconds':>10}{'rows/s':>10}")
    print(f"{'import_forecasts (bulk)':<34}{args.rows:>9}{bulk_s:>10.2f}{bulk_rate:>10.0f}")
    print(f"{'re-import, nothing new':<34}{args.rows:>9}{again_s:>10.2f}{args.rows / again_s:>10.0f}")
    print(f"{'naive get_or_create per row':<34}{args.naive_rows:>9}{naive_s:>10.2f}{naive_rate:>10.0f}")
    print(f"RESULT import_rows_per_s={bulk_rate:.0f} bulk_over_naive={bulk_rate / naive_rate:.1f}")


if __name__ == "__main__":
    main()
