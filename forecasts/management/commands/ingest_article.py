import datetime as dt
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from forecasts.dates import require_supported
from forecasts.management.acting import acting_user, add_as_argument
from forecasts.services.drafts import IngestError, article_from_file, article_ingest


class Command(BaseCommand):
    help = (
        "Read an article (a UTF-8 text file) for forecasts: keep it as a source and propose a draft prediction for "
        "each forward-looking attributed statement, for an analyst to accept, edit or reject at /drafts/."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to the article's text (UTF-8).")
        parser.add_argument("--title", default="", help="Defaults to the article's first line.")
        parser.add_argument("--publisher", default="")
        parser.add_argument("--url", default="")
        parser.add_argument("--published-at", default="", help="YYYY-MM-DD or ISO 8601; defaults to now.")
        add_as_argument(parser)

    def handle(self, *args, file: str, title: str, publisher: str, url: str, published_at: str, as_user: str, **options):
        user = acting_user(as_user)
        path = Path(file)
        try:
            text = article_from_file(path)
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file") from None
        except OSError as exc:  # a folder, no permission, …
            raise CommandError(f"{file}: cannot read it ({exc.strerror or exc})") from None
        except IngestError as exc:
            raise CommandError(f"{file}: {exc}") from None
        when = None
        if published_at:
            try:
                when = parse_datetime(published_at)
            except ValueError:
                when = None
            if when is None:
                raise CommandError(f"--published-at {published_at!r} is not a date (YYYY-MM-DD or ISO 8601)")
            if timezone.is_naive(when):
                when = timezone.make_aware(when, dt.timezone.utc)
            try:
                when = require_supported(when, "--published-at", given=published_at)
            except ValidationError as exc:
                raise CommandError(exc.messages[0]) from None
        try:
            report = article_ingest(text=text, title=title, publisher=publisher, url=url, published_at=when, user=user)
        except IngestError as exc:
            raise CommandError(f"{file}: {exc}") from None
        self.stdout.write(f"{file}: {report}; review them at /sources/{report.source.pk}/drafts/")
