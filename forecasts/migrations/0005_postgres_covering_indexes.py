"""PostgreSQL-only covering indexes for the scoring queries (SQLite has no INCLUDE; it keeps the plain ones).

prediction_analyst_cover_idx: one analyst's calibration reads (question_id, probability) of that analyst's
predictions from the index alone, instead of visiting a heap page per prediction (EXPLAIN ANALYZE at a million
predictions: a bitmap heap scan over ~10,000 pages for the busiest analyst).
question_scored_cover_idx: the join side, judged questions only, read without the table.
"""

from django.db import migrations

CREATE = [
    "CREATE INDEX IF NOT EXISTS prediction_analyst_cover_idx ON forecasts_prediction (analyst_id) "
    "INCLUDE (question_id, probability)",
    "CREATE INDEX IF NOT EXISTS question_scored_cover_idx ON forecasts_question (id) "
    "INCLUDE (outcome) WHERE outcome IN ('yes', 'no')",
]
DROP = ["DROP INDEX IF EXISTS prediction_analyst_cover_idx", "DROP INDEX IF EXISTS question_scored_cover_idx"]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in CREATE:
            schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in DROP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("forecasts", "0004_audit_trail")]

    operations = [migrations.RunPython(create, drop)]
