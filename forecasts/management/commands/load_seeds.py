from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from forecasts.services.seeds import SeedError, seeds_load


class Command(BaseCommand):
    help = "Load the phrase table and the curated articles in seeds/. Running it again adds nothing."

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=str(Path(settings.BASE_DIR) / "seeds"), help="The seeds folder.")

    def handle(self, *args, dir: str, **options):
        directory = Path(dir)
        if not (directory / "phrases.yaml").is_file():
            raise CommandError(f"{directory} has no phrases.yaml; is it the seeds folder?")
        try:
            report = seeds_load(directory=directory)
        except SeedError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Seeds loaded from {directory}: {report}.")
