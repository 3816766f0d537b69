"""`Authorization: Token …`: django-rest-knox's tokens, with two mends for hostile input and many tokens."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox import auth
from knox.signals import token_expired
from rest_framework import exceptions


class TokenAuthentication(auth.TokenAuthentication):
    """knox's TokenAuthentication, except that

    - a token that is not printable ASCII (knox's tokens are hex) is refused with 401 before it reaches the
      database: knox decodes it as UTF-8 (a Latin-1 byte in the header was a 500) and looks its first characters up
      (a NUL character is an error on PostgreSQL);
    - only the token presented is checked for expiry (expired, it is deleted and refused). knox also reads every
      other token of the user on every request to delete the expired ones, a cost that grows with the tokens a
      user keeps; those are deleted when the user next gets a token (forecasts/services/tokens.py), and are never
      listed.
    """

    def authenticate_credentials(self, token: bytes):
        if not token or any(byte < 0x21 or byte > 0x7E for byte in token):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        return super().authenticate_credentials(token)

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False


class TokenScheme(OpenApiAuthenticationExtension):
    """The schema's security scheme for these tokens (drf-spectacular knows knox's own class, not subclasses)."""

    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")
