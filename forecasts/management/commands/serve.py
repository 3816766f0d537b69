import atexit
import os
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Serve the app for development and, beside it, a Celery worker with embedded beat, so the periodic "
        "resolution checks run too (through Redis when REDIS_URL is set, else through a folder broker)."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="Only the web server.")

    def handle(self, *args, addrport: str, no_worker: bool, **options):
        # runserver's auto-reloader runs this command again in a child (RUN_MAIN=true): start the worker once,
        # in the parent, and stop it when the parent exits.
        if not no_worker and os.environ.get("RUN_MAIN") != "true":
            worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "--beat", "--pool", "solo",
                 "--loglevel", "warning", "--hostname", "laptop@%h"],
            )
            atexit.register(worker.terminate)
            self.stdout.write(f"Celery worker with beat started (pid {worker.pid}); the sweep runs every 15 minutes.")
        call_command("runserver", addrport)
