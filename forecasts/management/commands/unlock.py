from django.core.management.base import BaseCommand, CommandError

from forecasts.guard import unlock_login


class Command(BaseCommand):
    help = "Let a username log in again now: clear its waits after failed logins and its django-axes lock-outs."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        if not username.strip():
            raise CommandError("give a username")
        cleared = unlock_login(username)
        self.stdout.write(f"{username}: unlocked ({cleared} lock-out record(s) cleared).")
