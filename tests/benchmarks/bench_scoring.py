"""Scoring at scale: the API's leaderboard (whole, and filtered by topic and date) and calibration against
hand-written SQL (the floor) and a naive Python loop (the baseline), resolving a question with a forecast from every
analyst, the sweep over 100,000 due questions, and CSV import throughput — all in one run.

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


TOPICS = 20
# Forecasts are made over two years; the filtered leaderboard asks for the second (about half of them).
DAYS = [f"{2024 + day // 365}-{1 + (day % 365) // 31 % 12:02d}-{1 + day % 28:02d}T12:00:00+00:00" for day in range(730)]
SINCE = "2025-01-01T00:00:00+00:00"


def load(db_url: str, n: int, analysts: int, questions: int, seed: int = 1) -> None:
    """N predictions over A analysts and Q questions, with COPY; 70% of questions resolved yes or no; each question
    has one of 20 topics (every fifth a second one)."""
    import psycopg

    rng = random.Random(seed)
    now = "2026-01-01T00:00:00+00:00"
    with psycopg.connect(db_url) as conn, conn.cursor() as cur:
        copy_rows(cur, "forecasts_topic", ["id", "slug", "name"],
                  ((i, f"topic-{i}", f"Topic {i}") for i in range(1, TOPICS + 1)))
        copy_rows(cur, "forecasts_analyst", ["id", "name", "slug", "kind", "affiliation", "title"],
                  ((i, f"Analyst {i}", f"analyst-{i}", "person", "", "") for i in range(1, analysts + 1)))
        outcomes = ["yes", "no", "yes", "no", "yes", "no", "yes", "", "", "ambiguous"]
        copy_rows(cur, "forecasts_question",
                  ["id", "key", "title", "resolution_criteria", "resolve_by", "outcome", "version", "created_at", "updated_at"],
                  ((i, f"q-{i}", f"Question {i}?", "c", "2026-06-01T00:00:00+00:00", outcomes[i % 10], 1, now, now)
                   for i in range(1, questions + 1)))
        tagged = [(i, 1 + i % TOPICS) for i in range(1, questions + 1)]
        tagged += [(i, 1 + (i // 5 + 7) % TOPICS) for i in range(5, questions + 1, 5) if (i // 5 + 7) % TOPICS != i % TOPICS]
        copy_rows(cur, "forecasts_question_topics", ["question_id", "topic_id"], tagged)
        # A few busy analysts (Zipf-like), the rest spread evenly.
        weights = [1.0 / (rank ** 0.6) for rank in range(1, analysts + 1)]
        analyst_ids = rng.choices(range(1, analysts + 1), weights=weights, k=n)
        copy_rows(cur, "forecasts_prediction",
                  ["analyst_id", "question_id", "quote", "hedge_phrase", "probability", "basis", "note", "made_at", "created_at"],
                  ((analyst_ids[i], rng.randint(1, questions), "", "",
                    rng.choice((0.1, 0.3, 0.7, 0.9)) if rng.random() < 0.2 else round(rng.random(), 4),
                    "stated", "", DAYS[rng.randrange(len(DAYS))], now) for i in range(n)))
        for table in ("forecasts_analyst", "forecasts_question", "forecasts_prediction", "forecasts_topic"):
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

# The same with the filter of `?topic=…&since=…`; ranked like the API's first page (1,000 rows of the ranking).
HAND_SQL_FILTERED = HAND_SQL.replace(
    "JOIN forecasts_analyst a",
    "JOIN forecasts_question_topics qt ON qt.question_id = q.id\n"
    "JOIN forecasts_topic t ON t.id = qt.topic_id\n"
    "JOIN forecasts_analyst a",
).replace(
    "WHERE q.outcome IN ('yes', 'no')", "WHERE q.outcome IN ('yes', 'no') AND t.slug = %(topic)s AND p.made_at >= %(since)s"
) + "LIMIT 1000\n"


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


# The sweep's own peak: VmHWM, the high-water mark of this process's memory. ru_maxrss is not that on Linux: a
# child started by fork (or vfork) and exec keeps the parent's peak at the fork in it, and the benchmark's own
# process is larger than the sweep (it read 138–172 MB here where the sweep alone peaks near 100 MB).
SWEEP_CHILD = """
import re, resource, time, django
django.setup()
from forecasts.services.checks import checks_sweep
started = time.perf_counter()
report = checks_sweep()
try:
    with open("/proc/self/status") as status:
        peak_kb = int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1))
except OSError:
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(time.perf_counter() - started, report.created, peak_kb, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
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

    from forecasts import selectors
    from forecasts.models import AnalystBinSums, Prediction, Question
    from forecasts.services.imports import forecasts_import
    from forecasts.services.rules import SYSTEM
    from tests.benchmarks.bench_import import make_csv
    from tests.factories import analyst_user, reader_user

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

    # a2. The leaderboard filtered by topic and date aggregates the forecasts (the stored sums know neither). One
    # request — its first page already ranks every analyst — against the same filter in hand-written SQL.
    topic = "topic-3"

    def api_filtered():
        params = {"page_size": 1000, "topic": topic, "since": SINCE}
        response = client.get("/api/v1/calibration/", params, **headers)
        assert response.status_code == 200, response.content[:300]
        return {row["analyst"]: row["brier"] for row in response.json()["results"]}

    # One connection, opened before the clock starts (as the API's is): the floor is the query alone.
    floor = psycopg.connect(db_url, autocommit=True)

    def hand_sql_filtered(limit: str = ""):
        sql = HAND_SQL_FILTERED.replace("LIMIT 1000", limit) if limit else HAND_SQL_FILTERED
        rows = floor.execute(sql, {"topic": topic, "since": SINCE}).fetchall()
        return {slug: brier for slug, _, _, brier, _, _ in rows}

    api_filtered()
    hand_sql_filtered()
    filtered_s, filtered_rows = median_time(api_filtered, args.repeat)
    filtered_sql_s, _ = median_time(hand_sql_filtered, args.repeat)
    every = hand_sql_filtered(limit=" ")
    assert len(filtered_rows) == min(1000, len(every)), (len(filtered_rows), len(every))
    assert all(math.isclose(brier, every[slug], abs_tol=1e-9) for slug, brier in filtered_rows.items()), "API ≠ SQL"
    floor.close()

    # g. Resolving, through the API, a question that holds a forecast from every analyst: all their stored sums
    # move in the same transaction. Five fresh questions, loaded behind the app's back while still open.
    now = "2026-01-01T00:00:00+00:00"
    rng = random.Random(7)
    with psycopg.connect(db_url) as conn, conn.cursor() as cur:
        first = Question.objects.order_by("-id").values_list("id", flat=True).first() + 1
        busy_questions = list(range(first, first + 5))
        copy_rows(cur, "forecasts_question",
                  ["id", "key", "title", "resolution_criteria", "resolve_by", "outcome", "version", "created_at", "updated_at"],
                  ((i, f"busy-{i}", f"Busy {i}?", "c", "2026-06-01T00:00:00+00:00", "", 1, now, now) for i in busy_questions))
        copy_rows(cur, "forecasts_prediction",
                  ["analyst_id", "question_id", "quote", "hedge_phrase", "probability", "basis", "note", "made_at", "created_at"],
                  ((a, q, "", "", round(rng.random(), 4), "stated", "", DAYS[-1], now)
                   for q in busy_questions for a in range(1, args.analysts + 1)))
        for table in ("forecasts_question", "forecasts_prediction"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.commit()
    judge = {"HTTP_AUTHORIZATION": f"Token {AuthToken.objects.create(analyst_user(username='bench-judge'))[1]}"}
    resolve_times = []
    for question_id in busy_questions:
        body = {"outcome": ("yes", "no")[question_id % 2], "evidence": "Benchmark.", "version": 1}
        started = time.perf_counter()
        response = client.post(f"/api/v1/questions/{question_id}/resolve/", body, content_type="application/json", **judge)
        resolve_times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.content[:300]
    resolve_s = statistics.median(resolve_times)
    stored = {(r["analyst_id"], r["bin"]): r for r in AnalystBinSums.objects.values("analyst_id", "bin", *selectors.SUM_FIELDS)}
    fresh = selectors.bin_sums_by_analyst(selectors.scored_predictions(), bins=AnalystBinSums.BINS)
    fresh = {(r["analyst_id"], r["bin"]): r for r in fresh}
    assert stored.keys() == fresh.keys(), "stored sums ≠ a fresh aggregate"
    assert all(
        math.isclose(stored[key][name], row[name], rel_tol=1e-9, abs_tol=1e-6)
        for key, row in fresh.items() for name in selectors.SUM_FIELDS
    ), "stored sums ≠ a fresh aggregate"

    # e. The sweep over due questions, in a child process so that its peak memory is its own.
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
    for i in range(5):
        analyst_user(username=f"analyst-user-{i}")
    child = subprocess.run([sys.executable, "-c", SWEEP_CHILD], cwd=ROOT, env=os.environ, capture_output=True, text=True, check=True)
    sweep_s, sweep_created, sweep_kb, inherited_kb = child.stdout.split()
    sweep_s, sweep_mb, inherited_mb = float(sweep_s), int(sweep_kb) / 1024, int(inherited_kb) / 1024
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
    print(f"{'a2. ?topic=' + topic + '&since=2025-01-01, first page (ms)':<52}{filtered_s * 1000:>14.1f}")
    print(f"{'c2. the same filter in hand-written SQL (ms)':<52}{filtered_sql_s * 1000:>14.1f}")
    print(f"{'d. naive Python loop over all rows (ms)':<52}{python_s * 1000:>14.1f}")
    print(f"{'e. sweep over ' + format(args.sweep_questions, ',') + ' due questions (s)':<52}{sweep_s:>14.2f}")
    print(f"{'   sweep peak memory, whole process (MB)':<52}{sweep_mb:>14.1f}")
    print(f"{'   (ru_maxrss, with the parent peak at the fork, MB)':<52}{inherited_mb:>14.1f}")
    print(f"{'f. CSV import, ' + format(args.import_rows, ',') + ' rows (rows/s)':<52}{args.import_rows / import_s:>14.0f}")
    print(f"{'g. resolve, ' + format(args.analysts, ',') + ' forecasts (ms; ' + ', '.join(f'{t * 1000:.0f}' for t in resolve_times) + ')':<52}"
          f"{resolve_s * 1000:>14.1f}")
    print(
        f"RESULT leaderboard_over_sql={leaderboard_s / sql_s:.2f} python_over_leaderboard={python_s / leaderboard_s:.1f} "
        f"analyst_calibration_ms={calibration_s * 1000:.1f} sweep_{args.sweep_questions // 1000}k_s={sweep_s:.1f} "
        f"sweep_peak_mb={sweep_mb:.0f} import_rows_per_s={args.import_rows / import_s:.0f} "
        f"resolve_busy_question_ms={resolve_s * 1000:.1f} filtered_leaderboard_over_sql={filtered_s / filtered_sql_s:.2f}"
    )


if __name__ == "__main__":
    main()
