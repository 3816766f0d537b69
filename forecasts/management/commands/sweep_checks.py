from django.core.management.base import BaseCommand

from forecasts.services import checks


class Command(BaseCommand):
    help = "Run the resolution-check sweep now (no broker needed): create, assign, notify, and escalate."

    def add_arguments(self, parser):
        parser.add_argument("--no-email", action="store_true", help="Create and assign, but send nothing.")

    def handle(self, *args, no_email: bool, **options):
        report = checks.checks_sweep()
        self.stdout.write(f"Sweep: {report}.")
        escalated = checks.checks_escalate()
        self.stdout.write(f"Escalated {len(escalated)} checks pending past the grace period.")
        if no_email:
            return
        sent = checks.checks_notify()
        who = ", ".join(f"{name} ({n})" for name, n in sent.items()) or "nobody"
        self.stdout.write(f"Notified: {who}.")
        if escalated:
            self.stdout.write(f"Told the admins about {checks.escalation_notify(check_ids=escalated)} escalated checks.")
