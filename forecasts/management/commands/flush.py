"""Django's flush, with the write pass: emptying every table (as the test suite does between transactional tests
on SQLite, where flush is DELETE, not TRUNCATE) is not a write the ledger's triggers are there to stop."""

from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from forecasts.db import write_pass


class Command(flush.Command):
    def handle(self, **options):
        database = options.get("database") or DEFAULT_DB_ALIAS
        with transaction.atomic(using=database), write_pass(reason="flush: every row goes", using=connections[database]):
            return super().handle(**options)
