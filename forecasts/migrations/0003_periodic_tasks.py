"""The periodic jobs, as django-celery-beat rows: editable (and can be disabled) in the admin."""

from django.db import migrations

JOBS = [
    ("Sweep resolution checks", "forecasts.tasks.sweep_checks", {"interval": (15, "minutes")},
     "Every 15 minutes: one check per question that came due (or is due an interim check), assigned and emailed."),
    ("Escalate overdue checks", "forecasts.tasks.escalate_checks", {"crontab": ("0", "6")},
     "Daily: checks pending past the grace period (CHECK_GRACE_DAYS) are escalated to the admins."),
    ("Daily digest", "forecasts.tasks.send_daily_digest", {"crontab": ("0", "7")},
     "Daily: each analyst gets a list of their open checks."),
]


def create_jobs(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, schedule, description in JOBS:
        if "interval" in schedule:
            every, period = schedule["interval"]
            interval, _ = IntervalSchedule.objects.get_or_create(every=every, period=period)
            fields = {"interval": interval}
        else:
            minute, hour = schedule["crontab"]
            crontab, _ = CrontabSchedule.objects.get_or_create(
                minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
            )
            fields = {"crontab": crontab}
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "description": description, **fields})


def delete_jobs(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[job[0] for job in JOBS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("forecasts", "0002_roles_and_append_only_resolutions"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_jobs, delete_jobs)]
