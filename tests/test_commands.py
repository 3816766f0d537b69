import pytest
from django.contrib.auth import authenticate as django_authenticate
from django.test import RequestFactory
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


def authenticate(**credentials):
    # django-axes wants the request, to count failures per address.
    return django_authenticate(RequestFactory().post("/accounts/login/"), **credentials)


def test_demo_user_prints_a_working_password_once(capsys, settings):
    settings.DEBUG = True
    call_command("demo_user")
    first = capsys.readouterr().out
    password = first.split("demo / ")[1].split()[0]

    user = authenticate(username="demo", password=password)
    assert user is not None and user.is_staff
    assert user.groups.filter(name="analysts").exists()

    call_command("demo_user")
    second = capsys.readouterr().out
    assert password not in second
    assert "password shown when it was made" in second
    assert authenticate(username="demo", password=password) is not None


def test_demo_user_reset_sets_a_new_password(capsys, settings):
    settings.DEBUG = True
    call_command("demo_user")
    old = capsys.readouterr().out.split("demo / ")[1].split()[0]
    call_command("demo_user", reset=True)
    new = capsys.readouterr().out.split("demo / ")[1].split()[0]

    assert new != old
    assert authenticate(username="demo", password=old) is None
    assert authenticate(username="demo", password=new) is not None


def test_demo_user_refused_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only with DEBUG on"):
        call_command("demo_user")
