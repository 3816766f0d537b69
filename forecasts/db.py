"""The database's own guard of the ledger, and the one way past it.

Triggers (migration 0009) refuse, whatever the door: updating or deleting a Resolution row, and changing a scored
field (analyst, question, probability, basis, phrase, made_at) of a forecast whose question is judged yes or no.
The services refuse all of these first with a clear message; the triggers catch a door that forgot.

A sanctioned exception (an admin's correction, merging analysts) opens a *write pass* for the rest of its
transaction: on PostgreSQL a transaction-local setting (`set_config(…, true)`, gone at commit or rollback), on
SQLite a flag on this connection that the triggers read through an SQL function registered here. An ordinary
write cannot open one by accident: `write_pass()` is called by name, only inside a transaction, only by the
services that record why.
"""

from contextlib import contextmanager

from django.db import connection as default_connection

PASS_SETTING = "hindsight.write_pass"
SQLITE_PASS_FUNCTION = "hindsight_write_pass"


def register_sqlite_pass_function(sender, connection, **kwargs) -> None:
    """connection_created: give each SQLite connection the function its triggers call."""
    if connection.vendor == "sqlite":
        connection.hindsight_write_pass = ""
        connection.connection.create_function(
            SQLITE_PASS_FUNCTION, 0, lambda: connection.hindsight_write_pass, deterministic=False
        )


@contextmanager
def write_pass(*, reason: str, using=None):
    """Let this transaction's writes pass the ledger's triggers; `reason` names the sanctioned exception."""
    connection = using or default_connection
    if not connection.in_atomic_block:
        raise RuntimeError("A write pass is opened inside a transaction (transaction.atomic).")
    if not reason:
        raise ValueError("A write pass needs a reason.")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, true)", [PASS_SETTING, reason])
        yield
        # On an exception the rollback (of the transaction or its savepoint) takes the setting with it.
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, '', true)", [PASS_SETTING])
    else:
        connection.ensure_connection()
        connection.hindsight_write_pass = reason
        try:
            yield
        finally:
            connection.hindsight_write_pass = ""
