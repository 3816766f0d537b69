"""Gunicorn's settings, chosen on purpose (README "Work bounds"):

    gunicorn -c config/gunicorn.py config.wsgi:application

Every request is bounded by design: an article above INGEST_SYNC_MAX_BYTES and a CSV upload above
CSV_SYNC_MAX_BYTES become jobs for a Celery worker, so no ordinary request holds a thread for more than a few
seconds. The one long response is the streaming CSV export (`GET /api/v1/predictions/export/`), which lasts as long
as a large ledger or a slow client makes it (tests/test_work_bounds.py streams one for several times the timeout).
"""

import os
from pathlib import Path

from config.env import env_int, env_str

bind = env_str("GUNICORN_BIND", "0.0.0.0:8000")  # inside the container; the published port decides who reaches it

# gthread: each worker process serves `threads` requests at once, and its main thread keeps telling the arbiter it
# is alive while a request thread works or streams. So the worker timeout below does not cut the streaming export,
# and one slow client holds one thread, not a whole process. (The sync worker class would be killed, mid-export,
# once one response took longer than the timeout.)
worker_class = "gthread"
workers = env_int("GUNICORN_WORKERS", 3)
threads = env_int("GUNICORN_THREADS", 4)

# timeout: how long a worker process may go without a sign of life before the arbiter kills and replaces it — a
# process that is stuck (a blocked main loop, a deadlock), not one serving a long request. 30 s is far above the
# synchronous work of any request (well under 1 s for an article within the budget; a few seconds for a CSV within
# CSV_SYNC_MAX_BYTES) and below a TLS proxy's usual 60 s read timeout, so a stuck process is replaced before the
# proxy gives up on its clients.
timeout = env_int("GUNICORN_TIMEOUT", 30)
# On a restart or deploy, requests in flight get this long to finish (an export longer than that is cut; the
# client downloads it again).
graceful_timeout = 30
keepalive = 5

# The heartbeat files live in memory where there is /dev/shm (a container's /tmp may be a slow overlay disk, and a
# late heartbeat looks like a stuck worker).
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() and os.access("/dev/shm", os.W_OK) else None

accesslog = "-"
errorlog = "-"


def post_worker_init(worker) -> None:
    """Load the article reader's English model once per worker process, before it serves: the first article read
    while a client waits would otherwise pay for it (about half a second)."""
    from forecasts.reading.nlp import pipeline

    pipeline()
