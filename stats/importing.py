"""Bulk import of figures from the export's CSV format: all or nothing, idempotent, line-numbered errors."""

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from stats.csvformat import FIGURE_CSV_COLUMNS
from stats.models import CLAIM_FIELDS, Category, Conflict, Figure, Party, Report, Source

IGNORED_COLUMNS = {"id", "updated_at"}
RELATIONS = {"conflict": Conflict, "party": Party, "category": Category, "claimed_by": Source}
NULLABLE = ["value_low", "value_high", "period_start"]
DEFAULTED = ["qualifier", "basis", "date_precision"]
# Fields a re-import may change on a figure that records the same claim (the claim itself is the key).
UPDATABLE = ["value", "value_low", "value_high", "qualifier", "date_precision", "quote", "notes"]
# Where a model field's value comes from in the file.
COLUMN_OF = {
    "report": "report_url", "title": "report_title", "url": "report_url", "published_on": "report_published_on",
}
CHUNK = 2000
MAX_ERRORS = 20


@dataclass
class RowError:
    line: int
    columns: list[str]
    message: str

    def __str__(self):
        where = [f"line {self.line}"] if self.line else []
        if self.columns:
            where.append(f"column{'s' if len(self.columns) > 1 else ''} {', '.join(self.columns)}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ImportRefused(Exception):
    """The file was refused whole; `errors` says where and why."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("; ".join(str(error) for error in errors))


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    reports_created: int = 0
    dry_run: bool = False
    rows: int = 0

    def __str__(self):
        verb = "would import" if self.dry_run else "imported"
        return (
            f"{self.rows} rows {verb}: {self.created} figures created, {self.updated} updated, "
            f"{self.unchanged} unchanged; {self.reports_created} reports created."
        )


@dataclass
class Row:
    line: int
    cells: dict
    report: Report | None = None
    figure: Figure | None = None


def read_rows(stream: IO[str]) -> Iterator[Row]:
    """Yield the file's records with the line each starts on (the header is line 1)."""
    reader = csv.DictReader(stream, strict=True)
    try:
        header = reader.fieldnames or []
    except csv.Error as error:
        raise ImportRefused([RowError(1, [], f"the header is not valid CSV ({error})")]) from None
    missing = [column for column in FIGURE_CSV_COLUMNS if column not in header and column not in IGNORED_COLUMNS]
    unknown = [column for column in header if column not in FIGURE_CSV_COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        problems = []
        if missing:
            problems.append(f"missing {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown {', '.join(repr(column) for column in unknown)}")
        if len(set(header)) != len(header):
            problems.append("a column named twice")
        raise ImportRefused([RowError(1, [], f"the header must name the export's columns ({'; '.join(problems)})")])
    start = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise ImportRefused([RowError(start, [], f"this is not valid CSV ({error})")]) from None
        if None in cells or any(value is None for value in cells.values()):
            raise ImportRefused([RowError(start, [], "the record does not have one cell per column")])
        yield Row(start, cells)
        start = reader.line_num + 1


def resolve_slugs(rows: list[Row], errors: list[RowError]) -> dict[str, dict[str, object]]:
    """Return, per relation column, the rows of each slug the file names (one query per column)."""
    found = {}
    for column, model in [*RELATIONS.items(), ("publisher", Source)]:
        slugs = {row.cells[column] for row in rows if row.cells[column]}
        found[column] = {obj.slug: obj for obj in in_chunks(model.objects.all(), "slug", slugs)}
        name = model._meta.verbose_name
        for row in rows:
            slug = row.cells[column]
            if slug and slug not in found[column]:
                errors.append(RowError(row.line, [column], f"No {name} has the slug '{slug}'."))
            elif not slug and column in RELATIONS:
                errors.append(RowError(row.line, [column], "This field cannot be blank."))
    return found


def in_chunks(queryset, field_name: str, values) -> Iterator:
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield from queryset.filter(**{f"{field_name}__in": values[start : start + CHUNK]})


def resolve_reports(rows: list[Row], publishers: dict, errors: list[RowError], user) -> int:
    """Attach each row's report, found by address or by title and date, creating those missing; return how many."""
    by_url, by_title = {}, {}
    for report in in_chunks(Report.objects.all(), "url", {row.cells["report_url"] for row in rows} - {""}):
        by_url[report.url] = report
    titles = {row.cells["report_title"] for row in rows if not row.cells["report_url"]}
    for report in in_chunks(Report.objects.filter(url__isnull=True), "title", titles):
        by_title.setdefault((report.title, report.published_on.isoformat()), []).append(report)

    new_reports, first_line = {}, {}
    for row in rows:
        url, title, published_on = (row.cells[c] for c in ("report_url", "report_title", "report_published_on"))
        key = url or (title, published_on)
        if url and url in by_url:
            row.report = by_url[url]
            continue
        if not url and len(by_title.get(key, [])) > 1:
            errors.append(RowError(row.line, ["report_title", "report_published_on"],
                                   "Two reports without an address have this title and date: give its report_url."))
            continue
        if not url and by_title.get(key):
            row.report = by_title[key][0]
            continue
        if key not in new_reports:
            report = Report(title=title, url=url or None, published_on=published_on or None,
                            publisher=publishers.get(row.cells["publisher"]))
            try:
                report.full_clean(exclude=["publisher"], validate_unique=False, validate_constraints=False)
            except ValidationError as error:
                errors.extend(field_errors(row.line, error))
                continue
            new_reports[key], first_line[key] = report, row.line
        elif (title, published_on) != (new_reports[key].title, new_reports[key].published_on.isoformat()):
            errors.append(RowError(row.line, ["report_url"], f"This address names another title or date on line "
                                                              f"{first_line[key]}."))
            continue
        row.report = new_reports[key]
    if errors:
        return 0
    bulk_create_with_history(list(new_reports.values()), Report, batch_size=CHUNK, default_user=user)
    return len(new_reports)


def field_errors(line: int, error: ValidationError) -> list[RowError]:
    """Return a model validation error as row errors keyed by the file's columns."""
    found = []
    for name, messages in error.message_dict.items():
        columns = constraint_columns(messages) if name == "__all__" else [COLUMN_OF.get(name, name)]
        found.extend(RowError(line, columns, message) for message in messages)
    return found


def constraint_columns(messages: list[str]) -> list[str]:
    """Return the columns of the check constraint whose message this is."""
    for constraint in Figure._meta.constraints:
        if constraint.violation_error_message in messages:
            fields = getattr(constraint, "fields", None) or constraint.condition.referenced_base_fields
            columns = {COLUMN_OF.get(name, name) for name in fields}
            return sorted(columns, key=FIGURE_CSV_COLUMNS.index)
    return []


def build_figures(rows: list[Row], slugs: dict, errors: list[RowError]) -> None:
    """Make each row's Figure and validate it as the admin and the API do (without a query per row)."""
    for row in rows:
        cells = row.cells
        values = {name: cells[name] for name in [*UPDATABLE, "basis", "period_start", "period_end"]}
        for name in NULLABLE:
            values[name] = values[name] or None
        for name in DEFAULTED:
            values[name] = cells[name] or Figure._meta.get_field(name).default
        figure = Figure(**values, report=row.report, **{name: slugs[name][cells[name]] for name in RELATIONS})
        try:
            # Relations are resolved above in bulk; clean_fields would check each one with a query of its own.
            figure.full_clean(exclude=[*RELATIONS, "report"], validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            errors.extend(field_errors(row.line, error))
            continue
        row.figure = figure


def plan_writes(rows: list[Row], errors: list[RowError], result: ImportResult, update_existing: bool):
    """Split the rows into figures to create and to update, refusing a claim the file gives twice."""
    existing = {
        figure.claim_key(): figure
        for figure in in_chunks(Figure.objects.all(), "report_id", {row.figure.report_id for row in rows})
    }
    seen, to_create, to_update = {}, [], []
    for row in rows:
        key = row.figure.claim_key()
        if key in seen:
            columns = [COLUMN_OF.get(name, name) for name in CLAIM_FIELDS]
            errors.append(RowError(row.line, columns, f"This claim is also on line {seen[key]}: a file gives each "
                                                      "claim once."))
            continue
        seen[key] = row.line
        current = existing.get(key)
        if current is None:
            to_create.append(row)
        elif update_existing and any(getattr(current, f) != getattr(row.figure, f) for f in UPDATABLE):
            for name in UPDATABLE:
                setattr(current, name, getattr(row.figure, name))
            row.figure = current
            to_update.append(row)
        else:
            result.unchanged += 1
    return to_create, to_update


def locate_refusal(rows: list[Row]) -> list[RowError]:
    """Return the rows the database refused, found one by one with the models' own constraint checks."""
    errors = []
    for row in rows:
        try:
            row.figure.validate_constraints(exclude=[*RELATIONS, "report"])
        except ValidationError as error:
            errors.extend(field_errors(row.line, error))
        if len(errors) >= MAX_ERRORS:
            break
    return errors


def figures_import(
    *,
    source: Path | IO[str],
    dry_run: bool = False,
    update_existing: bool = True,
    user=None,
    progress: Callable[[str], None] | None = None,
) -> ImportResult:
    """Import figures from CSV in the export's columns: all rows or none; return what was (or would be) done.

    Relations are slugs; a report is found by `report_url`, else by `report_title` and `report_published_on`, and
    created when missing. A row recording a claim already there updates its value, hedge and words (or, with
    `update_existing` off, is left alone), so that importing a file twice changes nothing the second time.
    """
    if isinstance(source, Path):
        try:
            with source.open(encoding="utf-8-sig", newline="") as stream:
                return figures_import(source=stream, dry_run=dry_run, update_existing=update_existing, user=user,
                                      progress=progress)
        except OSError as error:
            raise ImportRefused([RowError(0, [], f"cannot read {source}: {error.strerror or error}")]) from None
    report = progress or (lambda message: None)
    result = ImportResult(dry_run=dry_run)
    try:
        rows = []
        for row in read_rows(source):
            rows.append(row)
            if len(rows) % 10_000 == 0:
                report(f"{len(rows):,} rows read")
    except UnicodeDecodeError:
        line = (rows[-1].line + 1) if rows else 1
        raise ImportRefused([RowError(line, [], "the file is not UTF-8 text")]) from None
    result.rows = len(rows)

    with transaction.atomic():
        errors: list[RowError] = []
        slugs = resolve_slugs(rows, errors)
        if not errors:
            result.reports_created = resolve_reports(rows, slugs["publisher"], errors, user)
        if not errors:
            build_figures(rows, slugs, errors)
        if not errors:
            to_create, to_update = plan_writes(rows, errors, result, update_existing)
        if errors:
            raise ImportRefused(sorted(errors, key=lambda error: error.line)[:MAX_ERRORS])
        report(f"validated; writing {len(to_create):,} new and {len(to_update):,} changed figures")
        try:
            with transaction.atomic():
                bulk_create_with_history([row.figure for row in to_create], Figure, batch_size=CHUNK,
                                         default_user=user)
                now = timezone.now()
                for row in to_update:
                    row.figure.updated_at = now
                bulk_update_with_history([row.figure for row in to_update], Figure, [*UPDATABLE, "updated_at"],
                                         batch_size=CHUNK, default_user=user)
        except IntegrityError:
            raise ImportRefused(locate_refusal(to_create + to_update) or [
                RowError(0, [], "the database refused the file (another write may have come first)")
            ]) from None
        result.created, result.updated = len(to_create), len(to_update)
        if dry_run:
            transaction.set_rollback(True)
    return result


def decoded(upload: IO[bytes]) -> IO[str]:
    """Return an uploaded file as UTF-8 text (a byte-order mark accepted)."""
    return io.TextIOWrapper(upload, encoding="utf-8-sig", newline="")
