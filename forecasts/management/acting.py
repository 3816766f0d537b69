"""Who a command acts as: the system (admin rights, recorded as nobody) unless given `--as USERNAME`."""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from forecasts.services.rules import SYSTEM


def add_as_argument(parser) -> None:
    parser.add_argument(
        "--as", dest="as_user", metavar="USERNAME", default="",
        help="Act as this user, with their rights and the rules that bind them (default: the system, as an admin).",
    )


def acting_user(username: str):
    if not username:
        return SYSTEM
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"--as {username}: no active user of that name")
    return user
