from django.apps import AppConfig


class ForecastsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "forecasts"
    verbose_name = "Forecasts"

    def ready(self) -> None:
        from forecasts import signals  # noqa: F401  (connects the receivers)
