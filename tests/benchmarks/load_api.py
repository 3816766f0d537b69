"""Load test: gunicorn on loopback, bounded in time, against the leaderboard and calibration endpoints.

    .venv/bin/python tests/benchmarks/load_api.py [--seconds 10] [--clients 8] [--predictions 20000]

Starts gunicorn on a free 127.0.0.1 port with a scratch SQLite database (or --database-url, a scratch
PostgreSQL database), loads synthetic predictions, and for each endpoint runs --clients threads for --seconds
(and at most --max-requests requests). Prints requests/s, p50 and p99 latency and errors, and each endpoint's
throughput as a ratio to /healthz measured in the same run. Traffic goes only to 127.0.0.1.
"""

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(env: dict, predictions: int) -> str:
    """Migrate, load seeds and synthetic predictions, and return a reader's token (in a child process)."""
    code = f"""
import random, django
django.setup()
from django.core.management import call_command
from django.utils import timezone
from forecasts.models import Analyst, Question, Prediction
from forecasts.services.seeds import seeds_load
from pathlib import Path
from knox.models import AuthToken
from tests.factories import reader_user
call_command("migrate", verbosity=0)
seeds_load(directory=Path("seeds"))
rng = random.Random(1)
now = timezone.now()
Analyst.objects.bulk_create([Analyst(name=f"Load {{i}}", slug=f"load-{{i}}") for i in range(200)])
Question.objects.bulk_create([Question(key=f"load-{{i}}", title=f"Q{{i}}", resolution_criteria="c", resolve_by=now,
    outcome=rng.choice(["yes", "no", ""])) for i in range(2000)])
a = list(Analyst.objects.filter(slug__startswith="load-").values_list("id", flat=True))
q = list(Question.objects.filter(key__startswith="load-").values_list("id", flat=True))
Prediction.objects.bulk_create([Prediction(analyst_id=rng.choice(a), question_id=rng.choice(q), probability=rng.random(),
    basis="stated", made_at=now) for _ in range({predictions})], batch_size=5000)
print(AuthToken.objects.create(reader_user(username="load"))[1])
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return result.stdout.strip().splitlines()[-1]


def hammer(port: int, path: str, token: str, seconds: float, clients: int, max_requests: int) -> dict:
    latencies, errors, lock = [], [0], threading.Lock()
    deadline = time.monotonic() + seconds
    budget = [max_requests]

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < deadline:
            with lock:
                if budget[0] <= 0:
                    break
                budget[0] -= 1
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Authorization": f"Token {token}"})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if not ok:
                    errors[0] += 1
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / wall if wall else 0.0,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else float("nan"),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else float("nan"),
        "errors": errors[0],
    }


def abuse(port: int, token: str, seconds: float, clients: int, attackers: int) -> dict:
    """Normal clients read the leaderboard while attackers send bad tokens and guess passwords at the token
    endpoint, each side from addresses of its own (X-Forwarded-For, believed from the trusted proxy 127.0.0.1).
    Returns the normal clients' latency and the share of attackers' requests answered 429."""
    lock, deadline = threading.Lock(), time.monotonic() + seconds
    normal, attacks = [], []

    def normal_client(n: int):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < deadline:
            started = time.perf_counter()
            conn.request("GET", "/api/v1/calibration/?page_size=20",
                         headers={"Authorization": f"Token {token}", "X-Forwarded-For": f"203.0.113.{n + 1}"})
            response = conn.getresponse()
            response.read()
            with lock:
                normal.append((time.perf_counter() - started, response.status))

    def attacker(n: int):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        i = 0
        while time.monotonic() < deadline:
            i += 1
            address = {"X-Forwarded-For": f"198.51.100.{n + 1}"}
            if i % 2:
                conn.request("GET", "/api/v1/questions/", headers={"Authorization": f"Token guess{i}", **address})
            else:
                body = json.dumps({"username": "admin", "password": f"guess{i}"})  # guessing one account
                conn.request("POST", "/api/v1/auth/token/", body=body,
                             headers={"Content-Type": "application/json", **address})
            response = conn.getresponse()
            response.read()
            with lock:
                attacks.append(response.status)

    threads = [threading.Thread(target=normal_client, args=(n,)) for n in range(clients)]
    threads += [threading.Thread(target=attacker, args=(n,)) for n in range(attackers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies = sorted(elapsed for elapsed, _ in normal)
    return {
        "normal_requests": len(normal),
        "normal_p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else float("nan"),
        "normal_errors": sum(status != 200 for _, status in normal),
        "attacker_requests": len(attacks),
        "attacker_429_share": sum(status == 429 for status in attacks) / len(attacks) if attacks else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--predictions", type=int, default=20_000)
    parser.add_argument("--max-requests", type=int, default=50_000)
    parser.add_argument("--database-url")
    parser.add_argument("--attackers", type=int, default=4, help="threads of the abuse run (0: none)")
    args = parser.parse_args()

    scratch = tempfile.mkdtemp()
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": args.database_url or f"sqlite:///{scratch}/load.sqlite3",
        "DEBUG": "0",
        "SECRET_KEY": "load-test-" + "x9Kq2" * 12,
        "ALLOWED_HOSTS": "127.0.0.1",
        "HTTPS": "0",
        "API_THROTTLE_USER": "1000000/minute",
        # The abuse run's two sides come from addresses of their own, through a "proxy" on loopback.
        "TRUSTED_PROXIES": "127.0.0.1",
        "CELERY_BROKER_DIR": f"{scratch}/broker",
    }
    env.pop("REDIS_URL", None)
    token = prepare(env, args.predictions)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers), "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        endpoints = [
            ("healthz (baseline)", "/healthz"),
            ("leaderboard", "/api/v1/calibration/?page_size=100"),
            ("analyst calibration", "/api/v1/analysts/load-1/calibration/"),
            ("analyst calibration, 20 bins", "/api/v1/analysts/load-2/calibration/?bins=20"),
        ]
        results = {}
        for name, path in endpoints:
            results[name] = hammer(port, path, token, args.seconds, args.clients, args.max_requests)
        baseline = results["healthz (baseline)"]["rps"]
        print(f"gunicorn {args.workers} workers, {args.clients} clients, {args.seconds:.0f} s per endpoint, "
              f"{args.predictions} synthetic predictions, {'PostgreSQL' if args.database_url else 'SQLite'}")
        print(f"{'endpoint':<32}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'vs healthz':>12}")
        for name, r in results.items():
            print(f"{name:<32}{r['requests']:>9}{r['rps']:>9.0f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}{r['errors']:>8}"
                  f"{r['rps'] / baseline:>12.2f}")
        summary = {name: {k: round(v, 2) for k, v in r.items()} for name, r in results.items()}
        print("RESULT " + json.dumps(summary))
        if args.attackers:
            quiet = results["leaderboard"]["p99_ms"]
            run = abuse(port, token, args.seconds, args.clients, args.attackers)
            print(f"abuse: {args.clients} normal clients on the leaderboard beside {args.attackers} attackers "
                  f"(bad tokens, password guesses): normal p99 {run['normal_p99_ms']:.1f} ms "
                  f"({run['normal_p99_ms'] / quiet:.2f}× the leaderboard's p99 alone), normal errors "
                  f"{run['normal_errors']}, attackers' requests answered 429: {run['attacker_429_share']:.0%} "
                  f"of {run['attacker_requests']}")
            print("ABUSE " + json.dumps({k: round(v, 3) for k, v in run.items()}))
    finally:
        server.terminate()
        server.wait(timeout=15)


if __name__ == "__main__":
    random.seed(0)
    main()
