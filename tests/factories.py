"""factory_boy factories: each test builds the few rows it needs."""

import datetime

import factory

from stats.models import Category, Conflict, Dataset, Figure, Party, Report, Source


class ConflictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conflict
        django_get_or_create = ["slug"]

    slug = "russia-ukraine"
    name = "Russian invasion of Ukraine"
    started_on = datetime.date(2022, 2, 24)


class PartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Party

    slug = factory.Sequence(lambda n: f"party-{n}")
    name = factory.Sequence(lambda n: f"Party {n}")
    kind = Party.Kind.ARMED_FORCES
    country = "RU"


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    slug = factory.Sequence(lambda n: f"source-{n}")
    name = factory.Sequence(lambda n: f"Source {n}")
    kind = Source.Kind.MILITARY
    country = "UA"


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: f"Category {n}")


class DatasetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dataset

    slug = factory.Sequence(lambda n: f"dataset-{n}")
    name = factory.Sequence(lambda n: f"Dataset {n}")
    url = factory.Sequence(lambda n: f"https://example.org/datasets/{n}")
    licence = "CC-BY-4.0"
    attribution = factory.Sequence(lambda n: f"Compiler {n}")
    retrieved = "commit 0000000"


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Report

    title = factory.Sequence(lambda n: f"Report {n}")
    url = factory.Sequence(lambda n: f"https://example.org/reports/{n}")
    published_on = datetime.date(2024, 12, 17)


class FigureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Figure

    conflict = factory.SubFactory(ConflictFactory)
    party = factory.SubFactory(PartyFactory)
    category = factory.SubFactory(CategoryFactory)
    claimed_by = factory.SubFactory(SourceFactory)
    report = factory.SubFactory(ReportFactory)
    value = 765110
    qualifier = Figure.Qualifier.APPROXIMATELY
    basis = Figure.Basis.CLAIMED
    period_start = None
    period_end = datetime.date(2024, 12, 16)
