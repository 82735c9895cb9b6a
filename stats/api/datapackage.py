"""The export described as a Frictionless Data Package: its columns with types and constraints, and the licence and
origin of every dataset its figures were taken from. Derived from the CSV format and the models, never written twice.
"""

from django.db import models
from django.urls import reverse

from stats.api.pagination import model_field
from stats.api.serializers import FigureSerializer
from stats.citations import LICENCE_WORDS
from stats.csvformat import FIGURE_CSV
from stats.models import MAX_COUNT, Dataset, Figure

TYPES = [
    (models.DateTimeField, "datetime"),
    (models.DateField, "date"),
    (models.BigIntegerField, "integer"),  # BigAutoField is one too
    (models.IntegerField, "integer"),
]
# What the columns that are not a figure's own fields hold.
COLUMN_DESCRIPTIONS = {
    "report_title": "The title of the report the claim was recorded from.",
    "report_url": "The report's address (a URI); empty when it has none.",
    "report_published_on": "The day the report was published (not the day the count refers to: see period_end).",
    "publisher": "Slug of the source that published the report; empty when unknown.",
}


def field_descriptor(column: str, path: str) -> dict:
    """Return the Table Schema field of one export column."""
    field = model_field(Figure, path)
    kind = next((name for field_class, name in TYPES if isinstance(field, field_class)), "string")
    serializer_field = FigureSerializer().fields.get(column)
    description = (
        COLUMN_DESCRIPTIONS.get(column) or (serializer_field and serializer_field.help_text) or field.help_text
    )
    descriptor = {"name": column, "type": kind, "description": str(description or column.replace("_", " "))}
    if isinstance(field, models.URLField):
        descriptor["format"] = "uri"
    constraints = {}
    if required(path):
        constraints["required"] = True
    if field.primary_key:
        constraints["unique"] = True
    if field.choices and not field.primary_key:
        constraints["enum"] = [value for value, _label in field.choices]
    if kind == "integer" and path.startswith("value"):
        constraints.update(minimum=0, maximum=MAX_COUNT)
    if constraints:
        descriptor["constraints"] = constraints
    return descriptor


def required(path: str) -> bool:
    """Return whether every figure has a value at `path` (no nullable relation or field on the way)."""
    model, names = Figure, path.split("__")
    for name in names:
        field = model._meta.get_field(name)
        if field.null or (isinstance(field, models.CharField | models.TextField) and field.blank):
            return False
        model = field.related_model or model
    return True


def licence_descriptor(licence: str) -> dict:
    if licence == "NOASSERTION":
        return {"name": licence, "title": "No licence stated"}
    title = LICENCE_WORDS.get(licence, licence)
    return {"name": licence, "path": f"https://spdx.org/licenses/{licence}.html", "title": title}


def datapackage(request, datasets: list[Dataset]) -> dict:
    """Return the Data Package descriptor of the export, for this request's host."""
    return {
        "profile": "tabular-data-package",
        "name": "conflictdata-figures",
        "title": "conflictdata: casualty figures as claims",
        "description": "Every figure is one claim: who claimed how many casualties of whom, up to when, hedged how, "
        "in which report, and taken from which compilation (dataset). Reuse the figures under the licence of the "
        "dataset each comes from (its `dataset` column), giving the credit that licence asks for.",
        "homepage": request.build_absolute_uri("/"),
        "licenses": [licence_descriptor(licence) for licence in sorted({dataset.licence for dataset in datasets})],
        "sources": [
            {
                "title": f"{dataset.name} ({dataset.attribution or dataset.name}; "
                f"{LICENCE_WORDS.get(dataset.licence, dataset.licence)}; {dataset.retrieved or 'retrieved'})",
                "path": dataset.url,
                "name": dataset.slug,
                "licenses": [licence_descriptor(dataset.licence)],
            }
            for dataset in datasets
        ],
        "resources": [
            {
                "name": "figures",
                "path": request.build_absolute_uri(reverse("figure-export")),
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {
                    "fields": [field_descriptor(column, path) for column, path in FIGURE_CSV.items()],
                    "primaryKey": ["id"],
                },
            }
        ],
    }
