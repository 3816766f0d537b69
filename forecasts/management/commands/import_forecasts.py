import os

from django.core.management.base import BaseCommand, CommandError

from forecasts.management.acting import acting_user, add_as_argument
from forecasts.services.imports import ImportRejected, forecasts_import


class Command(BaseCommand):
    help = (
        "Import forecasts from a CSV file (columns: analyst, question, probability, made_at, resolve_by, outcome; "
        "optional question_key, quote, source_url, hedge_phrase). All or nothing; re-importing adds nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to the CSV file (UTF-8).")
        add_as_argument(parser)

    def handle(self, *args, file: str, as_user: str, **options):
        user = acting_user(as_user)
        try:
            with open(file, encoding="utf-8-sig", newline="") as handle:
                report = forecasts_import(lines=handle, user=user, file_name=os.path.basename(file))
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file") from None
        except OSError as exc:  # a folder, no permission, …
            raise CommandError(f"{file}: cannot read it ({exc.strerror or exc})") from None
        except UnicodeDecodeError:
            raise CommandError(f"{file}: not UTF-8 text; save the CSV as UTF-8") from None
        except ImportRejected as exc:
            raise CommandError(f"{file}: {exc}") from None
        self.stdout.write(f"{file}: {report}.")
