"""Scoring at scale: the API's leaderboard and calibration against hand-written SQL (the floor) and a naive Python
loop (the baseline), the sweep over 100,000 due questions, and CSV import throughput — all in one run.

    .venv/bin/python tests/benchmarks/bench_scoring.py            # N = 1,000,000, A = 2,000, Q = 50,000
    .venv/bin/python tests/benchmarks/bench_scoring.py --quick    # N ≈ 50,000: under a minute on two cores

Needs PostgreSQL: it (re)creates the scratch database named by --database (default hindsight_bench) on
--pg-url (default postgres://postgres@127.0.0.1:5432). Not part of the test suite.
"""

import argparse
import io
import math
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def median_time(function, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def recreate_database(pg_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{pg_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def copy_rows(cursor, table: str, columns: list[str], rows) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def load(db_url: str, n: int, analysts: int, questions: int, seed: int = 1) -> None:
    """N predictions over A analysts and Q questions, with COPY; 70% of questions resolved yes or no."""
    import psycopg

    rng = random.Random(seed)
    now = "2026-01-01T00:00:00+00:00"
    with psycopg.connect(db_url) as conn, conn.cursor() as cur:
        copy_rows(cur, "forecasts_analyst", ["id", "name", "slug", "kind", "affiliation", "title"],
                  ((i, f"Analyst {i}", f"analyst-{i}", "person", "", "") for i in range(1, analysts + 1)))
        outcomes = ["yes", "no", "yes", "no", "yes", "no", "yes", "", "", "ambiguous"]
        copy_rows(cur, "forecasts_question",
                  ["id", "key", "title", "resolution_criteria", "resolve_by", "outcome", "version", "created_at", "updated_at"],
                  ((i, f"q-{i}", f"Question {i}?", "c", "2026-06-01T00:00:00+00:00", outcomes[i % 10], 1, now, now)
                   for i in range(1, questions + 1)))
        # A few busy analysts (Zipf-like), the rest spread evenly.
        weights = [1.0 / (rank ** 0.6) for rank in range(1, analysts + 1)]
        analyst_ids = rng.choices(range(1, analysts + 1), weights=weights, k=n)
        copy_rows(cur, "forecasts_prediction",
                  ["analyst_id", "question_id", "quote", "hedge_phrase", "probability", "basis", "note", "made_at", "created_at"],
                  ((analyst_ids[i], rng.randint(1, questions), "", "",
                    rng.choice((0.1, 0.3, 0.7, 0.9)) if rng.random() < 0.2 else round(rng.random(), 4),
                    "stated", "", now, now) for i in range(n)))
        for table in ("forecasts_analyst", "forecasts_question", "forecasts_prediction"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.commit()
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


HAND_SQL = """
SELECT a.slug, a.name, count(*) AS n,
       avg((p.probability - o.o) ^ 2) AS brier,
       avg(-ln(CASE WHEN o.o = 1 THEN least(greatest(p.probability, 0.001), 0.999)
                    ELSE 1 - least(greatest(p.probability, 0.001), 0.999) END)) AS log_loss,
       avg(o.o) AS base_rate
FROM forecasts_prediction p
JOIN forecasts_question q ON q.id = p.question_id
JOIN forecasts_analyst a ON a.id = p.analyst_id
CROSS JOIN LATERAL (SELECT CASE WHEN q.outcome = 'yes' THEN 1.0 ELSE 0.0 END AS o) o
WHERE q.outcome IN ('yes', 'no')
GROUP BY a.id
ORDER BY brier, a.name
"""


def python_loop(db_url: str) -> dict:
    """What one would write first: every scored row into Python, sums per analyst there."""
    import psycopg

    sums = {}
    with psycopg.connect(db_url) as conn, conn.cursor(name="rows") as cur:
        cur.itersize = 50_000
        cur.execute(
            "SELECT p.analyst_id, p.probability, q.outcome FROM forecasts_prediction p "
            "JOIN forecasts_question q ON q.id = p.question_id"
        )
        for analyst_id, p, outcome in cur:
            if outcome not in ("yes", "no"):
                continue
            o = 1 if outcome == "yes" else 0
            clipped = min(max(p, 0.001), 0.999)
            s = sums.setdefault(analyst_id, [0, 0.0, 0.0, 0])
            s[0] += 1
            s[1] += (p - o) ** 2
            s[2] += -math.log(clipped if o else 1 - clipped)
            s[3] += o
    return {k: (n, se / n, ll / n, so / n) for k, (n, se, ll, so) in sums.items()}


SWEEP_CHILD = """
import resource, time, django
django.setup()
from forecasts.services.checks import checks_sweep
started = time.perf_counter()
report = checks_sweep()
print(time.perf_counter() - started, report.created, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--analysts", type=int, default=2_000)
    parser.add_argument("--questions", type=int, default=50_000)
    parser.add_argument("--sweep-questions", type=int, default=100_000)
    parser.add_argument("--import-rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="N = 50,000, A = 200, Q = 5,000, sweep 10,000")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="hindsight_bench")
    args = parser.parse_args()
    if args.quick:
        args.n, args.analysts, args.questions, args.sweep_questions, args.import_rows = 50_000, 200, 5_000, 10_000, 10_000
        args.repeat = 3

    db_url = f"{args.pg_url}/{args.database}"
    recreate_database(args.pg_url, args.database)
    os.environ.update(
        DATABASE_URL=db_url, DJANGO_SETTINGS_MODULE="config.settings", API_THROTTLE_USER="1000000/minute",
        DEBUG="1", CELERY_BROKER_DIR="/tmp/hindsight-bench-broker",
    )
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    from knox.models import AuthToken

    from forecasts.models import Prediction, Question
    from forecasts.services.imports import forecasts_import
    from forecasts.services.rules import SYSTEM
    from tests.benchmarks.bench_import import make_csv
    from tests.factories import reader_user

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    load(db_url, args.n, args.analysts, args.questions)
    load_s = time.perf_counter() - started
    # COPY wrote behind the app's back; the app keeps the stored scores current on each write, so rewrite them once.
    started = time.perf_counter()
    call_command("refresh_scores", verbosity=0)
    refresh_s = time.perf_counter() - started
    setup_test_environment()  # lets the test client run against this database
    client = Client()
    token = AuthToken.objects.create(reader_user(username="bench"))[1]
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"}

    def api_leaderboard():
        """Every page of the whole leaderboard (1,000 rows a page, the most the API serves)."""
        board, url, params = {}, "/api/v1/calibration/", {"page_size": 1000, "min_resolved": 1}
        while url:
            response = client.get(url, params, **headers)
            assert response.status_code == 200, response.content[:300]
            body = response.json()
            board.update({row["analyst"]: row["brier"] for row in body["results"]})
            url, params = body["next"], None
        return board

    busy = "analyst-1"

    def api_calibration():
        response = client.get(f"/api/v1/analysts/{busy}/calibration/", **headers)
        assert response.status_code == 200
        return response.json()["n_resolved"]

    import psycopg

    def hand_sql():
        with psycopg.connect(db_url) as conn:
            return {slug: brier for slug, _, _, brier, _, _ in conn.execute(HAND_SQL).fetchall()}

    api_leaderboard()  # warm caches once
    hand_sql()
    leaderboard_s, rows = median_time(api_leaderboard, args.repeat)
    calibration_s, busy_n = median_time(api_calibration, args.repeat)
    sql_s, sql_rows = median_time(hand_sql, args.repeat)
    python_s, python_rows = median_time(lambda: python_loop(db_url), max(1, args.repeat // 2))
    assert len(rows) == len(sql_rows) == len(python_rows), (len(rows), len(sql_rows), len(python_rows))
    assert all(math.isclose(rows[slug], brier, abs_tol=1e-9) for slug, brier in sql_rows.items()), "API ≠ SQL"

    # e. The sweep over due questions, in a child process so that its peak memory is its own.
    now = "2026-01-01T00:00:00+00:00"
    with psycopg.connect(db_url) as conn, conn.cursor() as cur:
        start_id = Question.objects.order_by("-id").values_list("id", flat=True).first() + 1
        copy_rows(cur, "forecasts_question",
                  ["id", "key", "title", "resolution_criteria", "resolve_by", "outcome", "version", "created_at", "updated_at"],
                  ((i, f"due-{i}", f"Due {i}?", "c", "2025-01-01T00:00:00+00:00", "", 1, now, now)
                   for i in range(start_id, start_id + args.sweep_questions)))
        cur.execute("SELECT setval(pg_get_serial_sequence('forecasts_question', 'id'), (SELECT max(id) FROM forecasts_question))")
        conn.commit()
    Question.objects.filter(outcome="", key__startswith="q-").update(resolve_by="2099-01-01T00:00:00Z")
    reader_user(username="sweeper").groups.set([])
    from tests.factories import analyst_user

    for i in range(5):
        analyst_user(username=f"analyst-user-{i}")
    child = subprocess.run([sys.executable, "-c", SWEEP_CHILD], cwd=ROOT, env=os.environ, capture_output=True, text=True, check=True)
    sweep_s, sweep_created, sweep_kb = child.stdout.split()
    sweep_s, sweep_mb = float(sweep_s), int(sweep_kb) / 1024
    assert int(sweep_created) == args.sweep_questions, child.stdout

    # f. CSV import throughput on PostgreSQL.
    text = make_csv(args.import_rows, seed=5)
    before = Prediction.objects.count()
    started = time.perf_counter()
    forecasts_import(lines=io.StringIO(text), user=SYSTEM)
    import_s = time.perf_counter() - started
    assert Prediction.objects.count() - before == args.import_rows

    print(f"N={args.n:,} predictions, A={args.analysts:,} analysts, Q={args.questions:,} questions "
          f"(loaded with COPY in {load_s:.1f} s; stored scores rewritten in {refresh_s:.1f} s); median of {args.repeat}")
    print(f"{'measure':<52}{'value':>14}")
    print(f"{'a. GET /api/v1/calibration/ (whole leaderboard, ms)':<52}{leaderboard_s * 1000:>14.1f}")
    print(f"{'b. GET /api/v1/analysts/' + busy + '/calibration/ (ms, n=' + str(busy_n) + ')':<52}{calibration_s * 1000:>14.1f}")
    print(f"{'c. hand-written SQL, psycopg (ms) — the floor':<52}{sql_s * 1000:>14.1f}")
    print(f"{'d. naive Python loop over all rows (ms)':<52}{python_s * 1000:>14.1f}")
    print(f"{'e. sweep over ' + format(args.sweep_questions, ',') + ' due questions (s)':<52}{sweep_s:>14.2f}")
    print(f"{'   sweep peak memory, whole process (MB)':<52}{sweep_mb:>14.1f}")
    print(f"{'f. CSV import, ' + format(args.import_rows, ',') + ' rows (rows/s)':<52}{args.import_rows / import_s:>14.0f}")
    print(
        f"RESULT leaderboard_over_sql={leaderboard_s / sql_s:.2f} python_over_leaderboard={python_s / leaderboard_s:.1f} "
        f"analyst_calibration_ms={calibration_s * 1000:.1f} sweep_{args.sweep_questions // 1000}k_s={sweep_s:.1f} "
        f"sweep_peak_mb={sweep_mb:.0f} import_rows_per_s={args.import_rows / import_s:.0f}"
    )


if __name__ == "__main__":
    main()
