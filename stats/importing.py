"""Bulk import of figures from the export's CSV format: all or nothing, idempotent, line-numbered errors."""

import csv
import functools
import io
import operator
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from stats import bulk, search, versions
from stats.addresses import as_uri
from stats.csvformat import FIGURE_CSV_COLUMNS, TEXT_COLUMNS, restored
from stats.models import (
    CLAIM_FIELDS,
    MAX_COUNT,
    Category,
    Conflict,
    Dataset,
    Figure,
    Party,
    Report,
    Source,
    settle_period,
)

IGNORED_COLUMNS = {"id", "updated_at"}
# Columns a file may leave out: exports made before datasets existed have no `dataset`.
OPTIONAL_COLUMNS = {"dataset"}
RELATIONS = {"conflict": Conflict, "party": Party, "category": Category, "claimed_by": Source}
OPTIONAL_RELATIONS = {"dataset": Dataset}
RELATED = {*RELATIONS, *OPTIONAL_RELATIONS, "report"}
# The columns that are a figure's own fields, read by each field's clean().
CELLS = ["value", "value_low", "value_high", "qualifier", "basis", "period_start", "period_end", "date_precision",
         "quote", "notes"]
NULLABLE = ["value_low", "value_high", "period_start"]
DEFAULTED = ["qualifier", "basis", "date_precision"]
# Fields a re-import may change on a figure that records the same claim (the claim itself is the key); `dataset`
# only when the file has that column.
UPDATABLE = ["value", "value_low", "value_high", "qualifier", "date_precision", "quote", "notes", "dataset"]
# Where a model field's value comes from in the file.
COLUMN_OF = {
    "report": "report_url", "title": "report_title", "url": "report_url", "published_on": "report_published_on",
}
# Set by the database as each figure is written.
AUTO_TIMES = {"recorded_at", "updated_at"}
CHUNK = 2000
MAX_ERRORS = 20
NOT_UTF8 = "the file is not UTF-8 text"


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


class Cells:
    """One column's text turned into the model field's value by the field's own clean(): the admin's rules and
    messages. Plain digits in a count column take a shortcut; other texts are remembered once cleaned, since dates,
    hedges and bases repeat on every line of a file."""

    REMEMBERED = 100_000

    def __init__(self, name: str):
        self.field = field = Figure._meta.get_field(name)
        self.count = isinstance(field, models.BigIntegerField)
        self.text = isinstance(field, models.TextField) and not field.validators
        # What an empty cell means, where it is allowed: null, the field's default, or blank text.
        self.blank_allowed = name in NULLABLE or name in DEFAULTED or field.blank
        self.blank = None if name in NULLABLE else field.default if name in DEFAULTED else ""
        self.seen: dict[str, tuple] = {}

    def clean(self, raw: str):
        """Return the value, or raise the field's ValidationError."""
        if not raw and self.blank_allowed:
            return self.blank
        if self.text:
            return raw
        if self.count and raw.isascii() and raw.isdigit() and len(raw) < len(str(MAX_COUNT)):
            return int(raw)  # below MAX_COUNT, not negative: the field's validators would pass it
        outcome = self.seen.get(raw)
        if outcome is None:
            try:
                outcome = (self.field.clean(raw, None), None)
            except ValidationError as error:
                outcome = (None, error)
            if len(self.seen) < self.REMEMBERED:
                self.seen[raw] = outcome
        value, error = outcome
        if error is not None:
            raise error
        return value


class Relations:
    """The rows a file names by slug, each looked up once."""

    def __init__(self, model):
        self.model = model
        self.found: dict[str, object] = {}

    def get(self, slug: str):
        try:
            return self.found[slug]
        except KeyError:
            self.found[slug] = self.model.objects.filter(slug=slug).first()
            return self.found[slug]


@dataclass
class Row:
    line: int
    values: dict  # model field name (relations as objects, the report by its key) -> value


def read_rows(stream: IO[str]) -> Iterator[tuple[int, dict]]:
    """Yield the file's records with the line each starts on (the header is line 1)."""
    reader = csv.reader(stream, strict=True)
    try:
        header = next(reader, [])
    except csv.Error as error:
        raise ImportRefused([RowError(1, [], f"the header is not valid CSV ({error})")]) from None
    except UnicodeDecodeError:
        raise ImportRefused([RowError(1, [], NOT_UTF8)]) from None
    missing = [
        column for column in FIGURE_CSV_COLUMNS
        if column not in header and column not in IGNORED_COLUMNS and column not in OPTIONAL_COLUMNS
    ]
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
    width = len(header)
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise ImportRefused([RowError(start, [], f"this is not valid CSV ({error})")]) from None
        except UnicodeDecodeError:
            raise ImportRefused([RowError(start, [], NOT_UTF8)]) from None
        if len(record) != width:
            if not record:
                start = reader.line_num + 1
                continue  # a blank line, as csv.DictReader skips
            raise ImportRefused([RowError(start, [], "the record does not have one cell per column")])
        yield start, dict(zip(header, record, strict=True))
        start = reader.line_num + 1

def report_key(cells: dict) -> str | tuple[str, str]:
    return cells["report_url"] or (cells["report_title"], cells["report_published_on"])



def read_figures(stream: IO[str], errors: list[RowError], progress) -> tuple[list[Row], dict]:
    """Check every line's cells on their own; return the rows and, per report key, its line and cells."""
    cleaners = [(name, Cells(name).clean) for name in CELLS]
    relations = {column: Relations(model) for column, model in {**RELATIONS, **OPTIONAL_RELATIONS}.items()}
    required = [(column, relations[column].get) for column in RELATIONS]
    reports: dict = {}
    rows = []
    for count, (line, cells) in enumerate(read_rows(stream), start=1):
        if count % 100_000 == 0:
            progress(f"{count:,} rows read")
        values, problems = {}, []
        # PostgreSQL stores no NUL character (it would fail the whole file with a database error).
        if "\x00" in "".join(cells.values()):
            problems.extend(RowError(line, [column], "NUL characters are not allowed.")
                            for column, cell in cells.items() if "\x00" in cell)
        for column in TEXT_COLUMNS:  # the export's protection against spreadsheet formulas, undone
            if cells[column][:1] == "'":
                cells[column] = restored(cells[column])
        for column, get in required:
            slug = cells[column]
            values[column] = get(slug) if slug else None
            if not slug:
                problems.append(RowError(line, [column], "This field cannot be blank."))
            elif values[column] is None:
                name = RELATIONS[column]._meta.verbose_name
                problems.append(RowError(line, [column], f"No {name} has the slug '{slug}'."))
        for column, model in OPTIONAL_RELATIONS.items():
            if column not in cells:
                continue  # the file has no such column: nothing to set or change
            slug = cells[column]
            values[column] = relations[column].get(slug) if slug else None
            if slug and values[column] is None:
                problems.append(RowError(line, [column], f"No {model._meta.verbose_name} has the slug '{slug}'."))
        for name, clean in cleaners:
            try:
                values[name] = clean(cells[name])
            except ValidationError as error:
                problems.extend(RowError(line, [name], message) for message in error.messages)
        cells["report_url"] = as_uri(cells["report_url"])  # reports are matched by the address as stored
        key = report_key(cells)
        if key not in reports:
            reports[key] = (line, cells)
        elif cells["report_url"] and (cells["report_title"], cells["report_published_on"]) != (
            reports[key][1]["report_title"], reports[key][1]["report_published_on"]
        ):
            problems.append(RowError(line, ["report_url"], f"This address names another title or date on line "
                                                           f"{reports[key][0]}."))
        values["report"] = key
        if problems:
            errors.extend(problems)
            if len(errors) >= MAX_ERRORS:
                break
        else:
            rows.append(Row(line, values))
    return rows, reports


def resolve_reports(reports: dict, errors: list[RowError], user, at_commit: bool = False) -> tuple[dict, list[Report]]:
    """Return each report key's report, found by address or by title and date, and the reports created."""
    publishers = Relations(Source)
    found = {}
    for report in in_chunks(Report.objects.all(), "url", [key for key in reports if isinstance(key, str)]):
        found[report.url] = report
    titles = {key[0] for key in reports if isinstance(key, tuple)}
    by_title = {}
    for report in in_chunks(Report.objects.filter(url__isnull=True), "title", titles):
        by_title.setdefault((report.title, report.published_on.isoformat()), []).append(report)
    new = []
    for key, (line, cells) in reports.items():
        if key in found:
            continue
        if isinstance(key, tuple) and len(by_title.get(key, [])) > 1:
            errors.append(RowError(line, ["report_title", "report_published_on"],
                                   "Two reports without an address have this title and date: give its report_url."))
            continue
        if isinstance(key, tuple) and by_title.get(key):
            found[key] = by_title[key][0]
            continue
        publisher = publishers.get(cells["publisher"]) if cells["publisher"] else None
        if cells["publisher"] and publisher is None:
            errors.append(RowError(line, ["publisher"], f"No source has the slug '{cells['publisher']}'."))
            continue
        report = Report(title=cells["report_title"], url=cells["report_url"] or None,
                        published_on=cells["report_published_on"] or None, publisher=publisher)
        try:
            report.full_clean(exclude=["publisher"], validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            errors.extend(field_errors(line, error))
            continue
        found[key] = report
        new.append(report)
    if new and not errors:
        columns = [field for field in Report._meta.concrete_fields if not field.primary_key]
        highest = insert_in_bulk(Report, columns, (
            [field.get_db_prep_save(field.pre_save(report, True), connection) for field in columns] for report in new
        ), len(new), user=user, reason=None, at_commit=at_commit)
        ids = Report.objects.filter(pk__gt=highest).order_by("pk").values_list("pk", flat=True)
        for report, pk in zip(new, ids, strict=True):
            report.pk = pk
            report._state.adding = False
    return found, new


def in_chunks(queryset, field_name: str, values) -> Iterator:
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield from queryset.filter(**{f"{field_name}__in": values[start : start + CHUNK]})


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


def settle_rows(rows: list[Row], reports: dict, errors: list[RowError]) -> None:
    """Attach each row's report and apply the rules that span tables (Figure.clean's, by the same function)."""
    for row in rows:
        values = row.values
        values["report"] = report = reports[values["report"]]
        values["period_start"], values["period_end"], problems = settle_period(
            values["period_start"], values["period_end"], values["date_precision"],
            started_on=values["conflict"].started_on, published_on=report.published_on,
        )
        for name, message in problems.items():
            errors.append(RowError(row.line, [name], message))
            if len(errors) >= MAX_ERRORS:
                return


CLAIM_VALUES = operator.itemgetter(*CLAIM_FIELDS)
# CLAIM_FIELDS begins with the relations, each one's key its id.
CLAIM_RELATIONS = len([name for name in CLAIM_FIELDS if name in RELATED])
assert all(name in RELATED for name in CLAIM_FIELDS[:CLAIM_RELATIONS])


def claim_key(values: dict) -> tuple:
    """Return Figure.claim_key() of a row's values."""
    claim = CLAIM_VALUES(values)
    return (*(related.pk for related in claim[:CLAIM_RELATIONS]), *claim[CLAIM_RELATIONS:])


def plan_writes(rows: list[Row], new_reports: set, errors: list[RowError], result: ImportResult,
                update_existing: bool):
    """Split the rows into figures to create and to update, refusing a claim the file gives twice."""
    old_reports = {row.values["report"].pk for row in rows} - new_reports  # a new report has no figures yet
    existing = {figure.claim_key(): figure for figure in in_chunks(Figure.objects.all(), "report_id", old_reports)}
    seen, to_create, to_update = {}, [], []
    for row in rows:
        key = claim_key(row.values)
        if key in seen:
            columns = [COLUMN_OF.get(name, name) for name in CLAIM_FIELDS]
            errors.append(RowError(row.line, columns, f"This claim is also on line {seen[key]}: a file gives each "
                                                      "claim once."))
            if len(errors) >= MAX_ERRORS:
                break
            continue
        seen[key] = row.line
        current = existing.get(key)
        given = [name for name in UPDATABLE if name in row.values]
        if current is None:
            to_create.append(row)
        elif update_existing and any(stored(current, name) != as_stored(row.values[name]) for name in given):
            for name in given:
                setattr(current, name, row.values[name])
            to_update.append(current)
        else:
            result.unchanged += 1
    return to_create, to_update


def stored(figure: Figure, name: str):
    """Return the stored value of field `name` (a relation's key, not the related row)."""
    return getattr(figure, Figure._meta.get_field(name).attname)


def as_stored(value):
    return value.pk if isinstance(value, models.Model) else value


def insert_with_history(rows: list[Row], user, reason: str | None = None, at_commit: bool = False) -> None:
    """Insert the rows' figures in bulk (insert_in_bulk) with their "created" revisions."""
    if not rows:
        return
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(timezone.now())
    fields = [field for field in Figure._meta.concrete_fields if not field.primary_key]
    # The rows' own values, then those the database is given for every row: the times, and `dataset` when the file
    # has no such column.
    given = [field for field in fields if field.name in rows[0].values and field.name not in AUTO_TIMES]
    alike = [stamp if field.name in AUTO_TIMES else None for field in fields if field not in given]
    columns = given + [field for field in fields if field not in given]
    take = operator.itemgetter(*(field.name for field in given))
    related = [number for number, field in enumerate(given) if field.is_relation]
    dated = [number for number, field in enumerate(given) if isinstance(field, models.DateField)]
    adapt_date = functools.cache(ops.adapt_datefield_value)

    def params(values: dict) -> list:
        row = [*take(values), *alike]
        for number in related:
            if row[number] is not None:
                row[number] = row[number].id  # every related model's key is its id
        for number in dated:
            if row[number] is not None:
                row[number] = adapt_date(row[number])
        return row

    insert_in_bulk(Figure, columns, (params(row.values) for row in rows), len(rows), user=user, reason=reason,
                   at_commit=at_commit)


def insert_in_bulk(model, columns: list, rows: Iterable[list], count: int, *, user, reason: str | None,
                   at_commit: bool) -> int:
    """Insert `count` ready rows (the values of `columns`) into `model`'s table, in order; return the highest id the
    table had before: the rows have the ids above it, in the order given. By one executemany on SQLite and one COPY
    on PostgreSQL; the search index filled once at the end (search.indexed_at_end); the "created" revisions by one
    INSERT … SELECT (versions.record_created).

    Writers wait until the write commits (readers do not), so that the ids above the highest one taken now are the
    rows' own.
    """
    quote = connection.ops.quote_name
    table = model._meta.db_table
    names = ", ".join(quote(field.column) for field in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {quote(table)} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"SELECT COALESCE(MAX({quote('id')}), 0) FROM {quote(table)}")
        (highest,) = cursor.fetchone()
        with bulk.indexes_built_after(connection, table, count), search.indexed_at_end(connection, table, highest):
            if connection.vendor == "postgresql":
                # The driver's own COPY: its errors are made Django's (an IntegrityError) as the cursor's are.
                with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") \
                        as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({', '.join(['%s'] * len(columns))})",
                                   rows)
        bulk.check_references_now(connection, table)
        cursor.execute(f"SELECT MAX({quote('id')}) FROM {quote(table)}")
        (last,) = cursor.fetchone()
    if last is not None and last > highest:
        versions.record_created(model, highest, last, user=user, reason=reason, at_commit=at_commit)
    return highest


def locate_refusal(rows: list[Row]) -> list[RowError]:
    """Return why the database refused the first row it would refuse, found with the models' own constraint checks
    (a query each: a file of a million rows is not searched for a twentieth error)."""
    for row in rows:
        figure = Figure(**row.values)
        try:
            figure.validate_constraints(exclude=[*RELATED])
        except ValidationError as error:
            return field_errors(row.line, error)
    return []


def figures_import(
    *,
    source: Path | IO[str],
    dry_run: bool = False,
    update_existing: bool = True,
    user=None,
    progress: Callable[[str], None] | None = None,
    reason: str | None = None,
) -> ImportResult:
    """Import figures from CSV in the export's columns: all rows or none; return what was (or would be) done.

    Relations are slugs; a report is found by `report_url`, else by `report_title` and `report_published_on`, and
    created when missing. A row recording a claim already there updates its value, hedge and words (or, with
    `update_existing` off, is left alone), so that importing a file twice changes nothing the second time.
    Every cell is checked by its model field's own rules and the rows by the same cross-table rules as the admin
    and the API (`settle_period`), in bulk; the database's constraints check the rest as the rows are inserted.
    """
    if isinstance(source, Path):
        try:
            with source.open(encoding="utf-8-sig", newline="") as stream:
                return figures_import(source=stream, dry_run=dry_run, update_existing=update_existing, user=user,
                                      progress=progress, reason=reason)
        except OSError as error:
            raise ImportRefused([RowError(0, [], f"cannot read {source}: {error.strerror or error}")]) from None
    report = progress or (lambda message: None)
    result = ImportResult(dry_run=dry_run)
    errors: list[RowError] = []
    with bulk.collector_paused(), versions.recorded_write():
        # A write of its own (not a part of a larger one, such as a sync's) has its revisions written as it commits.
        alone = versions.depth() == 1
        rows, reports = read_figures(source, errors, report)
        result.rows = len(rows) + len({error.line for error in errors})
        if not errors:
            reports, new_reports = resolve_reports(reports, errors, user, at_commit=alone)
            result.reports_created = len(new_reports)
        if not errors:
            settle_rows(rows, reports, errors)
        if not errors:
            new_pks = {report.pk for report in new_reports}
            to_create, to_update = plan_writes(rows, new_pks, errors, result, update_existing)
        if errors:
            raise ImportRefused(sorted(errors, key=lambda error: error.line)[:MAX_ERRORS])
        refused = not_allowed(user, new_reports, to_update)
        if refused:
            raise ImportRefused([RowError(0, [], refused)])
        report(f"validated; writing {len(to_create):,} new and {len(to_update):,} changed figures")
        try:
            with transaction.atomic():
                insert_with_history(to_create, user, reason, at_commit=alone)
                now = timezone.now()
                for figure in to_update:
                    figure.updated_at = now
                changed = [name for name in UPDATABLE if not rows or name in rows[0].values]
                if to_update:
                    bulk_update_with_history(to_update, Figure, [*changed, "updated_at"], batch_size=CHUNK,
                                             default_user=user, default_date=versions.revision_time(),
                                             default_change_reason=reason)
        except IntegrityError:
            raise ImportRefused(locate_refusal(to_create) or [
                RowError(0, [], "the database refused the file (another write may have come first)")
            ]) from None
        result.created, result.updated = len(to_create), len(to_update)
        if dry_run:
            transaction.set_rollback(True)
        elif to_create or to_update:
            transaction.on_commit(statistics_refresh, robust=True)
    return result


def statistics_refresh() -> None:
    """Refresh the query planner's statistics, so that lists are planned on the data as it now is.

    Without them SQLite picks an index by guesswork (a claimant's index instead of the quantity's: 70 times slower
    after a large import) and never learns better; `PRAGMA optimize` before SQLite 3.46 is often a no-op right after
    an import. PostgreSQL's autovacuum would analyse the figures in time, but lists should not wait for it.
    """
    quote = connection.ops.quote_name
    # The revision tables too: reads of the past (`as_recorded`) are planned on them.
    tables = [model._meta.db_table for model in (Figure, Report, Figure.history.model, Report.history.model)]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for table in tables:
                cursor.execute(f"ANALYZE {quote(table)}")
        else:
            cursor.execute(f"ANALYZE {', '.join(quote(table) for table in tables)}")


def not_allowed(user, new_reports: list, to_update: list) -> str:
    """Return why `user` may not make these writes, or "" (the command, run by no user, may make any)."""
    if user is None:
        return ""
    if new_reports and not user.has_perm("stats.add_report"):
        return (f"the file names {len(new_reports)} report(s) not yet recorded, and your account may not add reports; "
                "ask a curator")
    if to_update and not user.has_perm("stats.change_figure"):
        return (f"the file changes {len(to_update)} recorded figure(s), and your account may not change figures; "
                "ask a curator")
    return ""


def decoded(upload: IO[bytes]) -> IO[str]:
    """Return an uploaded file as UTF-8 text (a byte-order mark accepted)."""
    return io.TextIOWrapper(upload, encoding="utf-8-sig", newline="")
