from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from forecasts.services.users import demo_user_ensure


class Command(BaseCommand):
    help = "Create the demo analyst login (DEBUG only) and print its random password once."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo")
        parser.add_argument("--reset", action="store_true", help="Set and print a new password.")

    def handle(self, *args, username: str, reset: bool, **options):
        if not settings.DEBUG:
            raise CommandError("The demo login exists only with DEBUG on; create real users with createsuperuser.")
        user, password = demo_user_ensure(username=username, reset_password=reset)
        url = f"{settings.SITE_URL}/"
        if password:
            self.stdout.write(
                "\n"
                f"  Demo analyst login: {user.username} / {password}\n"
                f"  (shown once; `python manage.py demo_user --reset` sets a new one)\n"
                f"  Log in at {url}\n"
            )
        else:
            self.stdout.write(
                f"Demo analyst login: {user.username} (password shown when it was made; "
                f"`python manage.py demo_user --reset` sets a new one). Log in at {url}"
            )
