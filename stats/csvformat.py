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

# Free-text columns, which a spreadsheet would read as a formula when they start with one of FORMULA_STARTS.
TEXT_COLUMNS = ["report_title", "quote", "notes"]
# OWASP's list, and the quote itself, so that neutralising has an exact inverse.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def neutralised(text: str | None) -> str | None:
    """Return a text cell a spreadsheet will not run as a formula: a `'` before a risky first character."""
    if text and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def restored(cell: str) -> str:
    """Return a text cell as it was before `neutralised()`: one leading `'` removed where it protected one."""
    if len(cell) > 1 and cell[0] == "'" and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell
