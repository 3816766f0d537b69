"""Users: the demo login."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from forecasts.services.rules import ANALYSTS_GROUP


def demo_user_ensure(*, username: str = "demo", reset_password: bool = False) -> tuple[object, str | None]:
    """Create the demo analyst login; return (user, password) with the password only when it was just set."""
    User = get_user_model()
    with transaction.atomic():
        user, created = User.objects.get_or_create(
            username=username, defaults={"is_staff": True, "email": f"{username}@localhost"}
        )
        user.groups.add(Group.objects.get(name=ANALYSTS_GROUP))
        password = None
        if created or reset_password:
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.save(update_fields=["password"])
    return user, password
