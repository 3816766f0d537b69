"""The ledger's rules, each stated once. The services call these before they write; the doors translate the
exceptions into their own language (403/409/400 in the API, a form error on a page or in the admin, one line from
a command). The README's guarantees table lists them, and tests/test_doors.py walks every door against each.
"""

import unicodedata

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q

from forecasts.models import SCORED_OUTCOMES, Analyst, Question

ANALYSTS_GROUP = "analysts"


# --- who acts -------------------------------------------------------------------------------------------------


class SystemActor:
    """The acting user of commands and jobs run without `--as`: admin rights, recorded as nobody."""

    pk = None
    is_active = is_superuser = is_staff = is_authenticated = True
    username = "system"

    def get_username(self) -> str:
        return self.username

    def __str__(self) -> str:
        return "the system"


SYSTEM = SystemActor()


def recorded_user(user):
    """The user to record (history, created_by, resolved_by): None for the system."""
    return None if user is SYSTEM else user


def is_admin(user) -> bool:
    return user is SYSTEM or bool(user.is_active and user.is_superuser)


# --- refusals -------------------------------------------------------------------------------------------------


class RuleBroken(Exception):
    """A write that a rule refuses. `field` names the input at fault, when there is one."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class NotAllowed(RuleBroken):
    """This user may not make this change (beyond what the role's permissions say)."""


class Conflict(RuleBroken):
    """The change clashes with the record as it stands: a judged question, a stale version, an open question."""


class FrozenPrediction(Conflict):
    """A forecast on a judged question cannot change what is scored."""


class StaleVersion(Conflict):
    """The question changed since the client read it (its version moved on)."""

    def __init__(self, current_version: int):
        super().__init__(f"The question was changed meanwhile; it is now at version {current_version}.", field="version")
        self.current_version = current_version


# --- object rule: an in-house analyst's forecasts are theirs ----------------------------------------------------


def may_write_forecasts_of(*, user, analyst: Analyst) -> bool:
    """An in-house analyst's forecasts are added, changed, moved or deleted only by that analyst's user or an
    admin; anyone with the role may write those of an outside expert."""
    return analyst.user_id is None or analyst.user_id == user.pk or is_admin(user)


def require_may_edit_analyst(*, user, analyst: Analyst) -> None:
    """An in-house analyst's record (name, aliases) is theirs too: renaming it would hand their forecasts' matching
    to someone else's reading."""
    if not may_write_forecasts_of(user=user, analyst=analyst):
        raise NotAllowed(
            f"{analyst.name} is an in-house analyst who logs their own forecasts; only they or an admin can edit "
            "their name and aliases.", field="name",
        )


def require_may_write_forecasts_of(*, user, analyst: Analyst) -> None:
    if not may_write_forecasts_of(user=user, analyst=analyst):
        raise NotAllowed(
            f"{analyst.name} is an in-house analyst who logs their own forecasts; only they or an admin can add, "
            "change, move or delete them.",
            field="analyst",
        )


# --- linking a user to an analyst -------------------------------------------------------------------------------


def require_may_link(*, user) -> None:
    """Linking a user to an analyst (or unlinking one) decides whose forecasts are whose: admins only."""
    if not is_admin(user):
        raise NotAllowed("Only an admin can link a user to an analyst or unlink one.", field="user")


def require_admin(*, user, action: str) -> None:
    if not is_admin(user):
        raise NotAllowed(f"Only an admin can {action}.")


# --- frozen rule: a judged question's forecasts ------------------------------------------------------------------

# What a forecast says about the future; once its question is judged, changing these would rewrite a score.
SCORED_FIELDS = frozenset({"analyst", "question", "probability", "basis", "phrase", "made_at"})


def is_judged(question: Question) -> bool:
    return question.outcome in SCORED_OUTCOMES


def frozen_change(*, user, judged: bool, changed: set[str]) -> str:
    """Refuse a change of scored fields on a judged question unless an admin corrects it. Returns the reason to
    record for a sanctioned correction ("" when nothing frozen is touched)."""
    touched = sorted(changed & SCORED_FIELDS)
    if not (judged and touched):
        return ""
    if not is_admin(user):
        raise FrozenPrediction(
            "The question is judged: its forecasts' " + ", ".join(touched) + " are frozen, and nothing can be moved "
            "onto it. Un-resolve the question first if the record is wrong, or ask an admin to correct it.",
            field=touched[0],
        )
    return "admin correction on a judged question: " + ", ".join(touched)


def new_forecast_on(*, user, question: Question) -> str:
    """An analyst cannot add a forecast to a question already judged; an admin may backfill one (recorded)."""
    if not is_judged(question):
        return ""
    if not is_admin(user):
        raise FrozenPrediction(
            f"“{question.title}” is judged already: a forecast made now cannot be added to it.", field="question"
        )
    return "admin backfill on a judged question"


# --- resolution ---------------------------------------------------------------------------------------------------


# White space, control and format characters (zero-width space, BOM, word joiner): text a reader cannot see.
INVISIBLE = {"Zs", "Zl", "Zp", "Cc", "Cf"}


def visible(text: str) -> bool:
    """Whether a text holds anything a reader can see (not only spaces and zero-width characters)."""
    return any(unicodedata.category(ch) not in INVISIBLE for ch in text or "")


def require_evidence(evidence: str, *, field: str = "evidence") -> None:
    if not visible(evidence):
        raise ValidationError({field: "Give the evidence: a judgement (or a reopening) without it cannot be checked."})


# --- resolution checks and owners ---------------------------------------------------------------------------------


def assignable_users():
    """Who may be given a resolution check, or own a question: active members of the analysts group."""
    return get_user_model().objects.filter(Q(is_active=True) & Q(groups__name=ANALYSTS_GROUP))


def require_assignable(user, *, field: str) -> None:
    if user is not None and not assignable_users().filter(pk=user.pk).exists():
        raise ValidationError({field: f"{user.get_username()} is not an active analyst: checks and questions go to analysts."})


def require_open_for_checks(question: Question) -> None:
    if question.outcome:
        raise Conflict(f"“{question.title}” is {question.status} already: it needs no resolution check.", field="question")
