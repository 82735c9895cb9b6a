"""The CSV format of figures, shared by the export, the importer and the scripts that build shipped data."""

FIGURE_CSV_COLUMNS = [
    "id", "conflict", "party", "category", "claimed_by", "value", "value_low", "value_high", "qualifier", "basis",
    "period_start", "period_end", "date_precision", "report_title", "report_url", "report_published_on",
    "publisher", "quote", "notes", "updated_at",
]
