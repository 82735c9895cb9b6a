"""The CSV format of figures, shared by the export, the importer and the scripts that build shipped data."""

# Each column, in order, with the lookup path from a figure that the export reads it from.
FIGURE_CSV = {
    "id": "id",
    "conflict": "conflict__slug",
    "party": "party__slug",
    "category": "category__slug",
    "claimed_by": "claimed_by__slug",
    "value": "value",
    "value_low": "value_low",
    "value_high": "value_high",
    "qualifier": "qualifier",
    "basis": "basis",
    "period_start": "period_start",
    "period_end": "period_end",
    "date_precision": "date_precision",
    "report_title": "report__title",
    "report_url": "report__url",
    "report_published_on": "report__published_on",
    "publisher": "report__publisher__slug",
    "quote": "quote",
    "notes": "notes",
    "dataset": "dataset__slug",
    "updated_at": "updated_at",
}
FIGURE_CSV_COLUMNS = list(FIGURE_CSV)
