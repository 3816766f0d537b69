import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from forecasts.models import Analyst, Prediction, ProbabilityPhrase, Question, Source, Topic
from forecasts.services.analysts import analyst_create
from forecasts.services.predictions import prediction_create
from forecasts.services.rules import SYSTEM


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pass-word-123")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*[Group.objects.get(name=name) for name in extracted])


def analyst_user(**kwargs):
    return UserFactory(is_staff=True, groups=["analysts"], **kwargs)


def reader_user(**kwargs):
    return UserFactory(groups=["api-readers"], **kwargs)


def admin_user(**kwargs):
    return UserFactory(is_staff=True, is_superuser=True, **kwargs)


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    title = factory.Sequence(lambda n: f"Article {n}")
    publisher = "Test Wire"
    published_at = factory.LazyFunction(timezone.now)
    text = "Nothing much will happen."


class AnalystFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Analyst

    name = factory.Sequence(lambda n: f"Analyst {n}")
    slug = factory.Sequence(lambda n: f"analyst-{n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Through the service: the analyst's name key is claimed, as on every door.
        return analyst_create(data=kwargs, user=SYSTEM)


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    slug = factory.Sequence(lambda n: f"topic-{n}")
    name = factory.Sequence(lambda n: f"Topic {n}")


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    title = factory.Sequence(lambda n: f"Will event {n} happen?")
    resolution_criteria = "YES if it happens."
    resolve_by = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=30))


class PhraseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProbabilityPhrase
        django_get_or_create = ["phrase"]

    phrase = factory.Sequence(lambda n: f"phrase {n}")
    probability = 0.5
    low = 0.3
    high = 0.7
    reference = "Test table."


class PredictionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Prediction

    analyst = factory.SubFactory(AnalystFactory)
    question = factory.SubFactory(QuestionFactory)
    probability = 0.6
    basis = Prediction.Basis.STATED
    made_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Through the service, as every door writes: the stored scores follow, the rules hold (as an admin).
        return prediction_create(data=kwargs, user=SYSTEM)
