"""CSV export of forecasts, in the import's format, so that an export re-imports as nothing new.

A cell a spreadsheet would take for a formula (starting with =, +, -, @, a tab or a carriage return) is written
after a "'", which the import takes off again.
"""

import csv
import io
from collections.abc import Iterator

from forecasts.services.imports import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, formula_neutralised

EXPORT_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS


def predictions_export(*, predictions) -> Iterator[str]:
    """Predictions as CSV lines in the import format, so an export re-imports as nothing new."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(EXPORT_COLUMNS)
    yield flush()
    rows = predictions.select_related("analyst", "question", "source").order_by("question_id", "made_at", "id")
    for prediction in rows.iterator(chunk_size=2000):
        question = prediction.question
        writer.writerow(
            formula_neutralised(cell)
            for cell in [
                prediction.analyst.slug,
                question.title,
                repr(prediction.probability),
                prediction.made_at.isoformat(),
                question.resolve_by.isoformat(),
                question.outcome,
                question.key,
                prediction.quote,
                prediction.source.url if prediction.source else "",
                prediction.hedge_phrase,
            ]
        )
        yield flush()
