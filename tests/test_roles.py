import pytest
from django.contrib.auth.models import Group

from tests.factories import analyst_user, reader_user

pytestmark = pytest.mark.django_db


def test_groups_are_created_by_migration():
    assert set(Group.objects.values_list("name", flat=True)) >= {"analysts", "api-readers"}


def test_analysts_may_resolve_and_edit_questions_and_predictions():
    user = analyst_user()
    for perm in ("add_resolution", "change_question", "add_question", "change_prediction", "add_prediction"):
        assert user.has_perm(f"forecasts.{perm}"), perm
    assert not user.has_perm("forecasts.change_resolution")
    assert not user.has_perm("forecasts.delete_resolution")
    assert not user.has_perm("forecasts.change_probabilityphrase")


def test_api_readers_only_read():
    perms = reader_user().get_all_permissions()
    assert perms
    assert all(perm.split(".")[1].startswith("view_") for perm in perms), perms
