"""API tokens (django-rest-knox): made, listed and revoked here, by the API and the pages alike.

Only a token's digest is stored; the token itself is shown once, when it is made. Each token expires
API_TOKEN_TTL after it was made (REST_KNOX["TOKEN_TTL"]). A password change, by any door (the pages, the admin's
password form, `changepassword`, `demo_user --reset`, anything that saves the user), revokes all of the user's
tokens: the receivers below compare the stored password hash with the one being saved. They are connected in
forecasts/apps.py.
"""

from django.contrib.auth.hashers import get_hasher, identify_hasher
from django.db.models import Q, QuerySet
from django.utils import timezone
from knox.models import AuthToken


def token_create(*, user) -> tuple[AuthToken, str]:
    """A new token for the user: (its row, the token). The user's expired tokens are deleted on the way."""
    AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    return AuthToken.objects.create(user)


def tokens_of(user) -> QuerySet:
    """The user's tokens that still work, newest first."""
    live = Q(expiry__isnull=True) | Q(expiry__gt=timezone.now())
    return AuthToken.objects.filter(live, user=user).order_by("-created", "token_key")


def token_revoke(*, user, token_key: str) -> bool:
    """Revoke the user's token with this key (its first characters); False when the user has none such."""
    deleted, _ = AuthToken.objects.filter(user=user, token_key=token_key).delete()
    return deleted > 0


def token_logout(*, token: AuthToken) -> None:
    """Revoke the token a request was authenticated with."""
    AuthToken.objects.filter(digest=token.digest).delete()


def tokens_revoke_all(*, user) -> int:
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


# --- a password change revokes every token --------------------------------------------------------------------

_CHANGED = "_hindsight_password_changed"


def _is_hash_upgrade(user, stored: str, update_fields) -> bool:
    """Django re-hashes a password at a successful login when its hasher or work factor is out of date: the same
    password, saved alone with `_password` cleared ("Password hash upgrades shouldn't be considered password
    changes", django.contrib.auth.base_user). That is not a change of password."""
    if getattr(user, "_password", None) is not None or update_fields is None or set(update_fields) != {"password"}:
        return False
    try:
        old = identify_hasher(stored)
    except ValueError:
        return False
    preferred = get_hasher("default")
    return old.algorithm != preferred.algorithm or preferred.must_update(stored)


def note_password_change(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    """pre_save of the user model: is the password hash about to change? (One read, only when the password may be
    among the fields saved: not on a login's last_login update.)"""
    changed = False
    if instance.pk is not None and (update_fields is None or "password" in update_fields):
        stored = sender._base_manager.filter(pk=instance.pk).values_list("password", flat=True).first()
        changed = stored is not None and stored != instance.password
        changed = changed and not _is_hash_upgrade(instance, stored, update_fields)
    setattr(instance, _CHANGED, changed)


def revoke_tokens_after_password_change(sender, instance, created=False, **kwargs) -> None:
    """post_save of the user model: a changed password revokes all of the user's tokens, in the same transaction."""
    if getattr(instance, _CHANGED, False):
        setattr(instance, _CHANGED, False)
        tokens_revoke_all(user=instance)
