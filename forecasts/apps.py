from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_save, pre_save


class ForecastsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "forecasts"
    verbose_name = "Forecasts"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from forecasts import tasks  # noqa: F401  (registers the Celery tasks the services queue by name)
        from forecasts.db import register_sqlite_pass_function
        from forecasts.guard import logged_in, login_failed
        from forecasts.services.tokens import note_password_change, revoke_tokens_after_password_change

        # SQLite's triggers ask this connection whether a write pass is open (forecasts/db.py).
        connection_created.connect(register_sqlite_pass_function, dispatch_uid="hindsight_write_pass")
        # A password change, by any door that saves the user, revokes all of the user's API tokens.
        user_model = get_user_model()
        pre_save.connect(note_password_change, sender=user_model, dispatch_uid="hindsight_password_change")
        post_save.connect(revoke_tokens_after_password_change, sender=user_model, dispatch_uid="hindsight_token_revoke")
        # Failed authentications on every door that checks a password count against the address and username.
        user_login_failed.connect(login_failed, dispatch_uid="hindsight_login_failed")
        user_logged_in.connect(logged_in, dispatch_uid="hindsight_logged_in")
