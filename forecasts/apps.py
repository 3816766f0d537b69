from django.apps import AppConfig
from django.db.backends.signals import connection_created


class ForecastsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "forecasts"
    verbose_name = "Forecasts"

    def ready(self) -> None:
        from forecasts.db import register_sqlite_pass_function

        # SQLite's triggers ask this connection whether a write pass is open (forecasts/db.py).
        connection_created.connect(register_sqlite_pass_function, dispatch_uid="hindsight_write_pass")
