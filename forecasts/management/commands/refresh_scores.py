from django.core.management.base import BaseCommand

from forecasts.models import AnalystBinSums
from forecasts.services.scores import analyst_scores_refresh


class Command(BaseCommand):
    help = (
        "Rewrite every analyst's stored scores from the predictions. Writes through the app keep them current; "
        "run this after loading rows behind its back (raw SQL, COPY, a restored dump)."
    )

    def handle(self, *args, **options):
        analyst_scores_refresh()
        if options["verbosity"]:
            self.stdout.write(f"stored scores rewritten: {AnalystBinSums.objects.count()} analyst-bin rows")
