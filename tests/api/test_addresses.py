"""Addresses are stored, served and exported as URIs (RFC 3986), whichever path wrote them."""

import csv
import importlib
import io

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from stats.addresses import as_uri
from stats.csvformat import FIGURE_CSV_COLUMNS
from stats.importing import figures_import
from stats.models import Report, Source
from tests.factories import FigureFactory, ReportFactory, SourceFactory

pytestmark = pytest.mark.django_db

IRI = "https://www.mil.gov.ua/news/2023/01/30/zagalni-vtrati-\u2013-genshtab-zsu/"  # an en dash
URI = "https://www.mil.gov.ua/news/2023/01/30/zagalni-vtrati-%E2%80%93-genshtab-zsu/"


@pytest.mark.parametrize(
    ("address", "uri"),
    [
        (IRI, URI),
        ("https://example.org/a b?q=x y&z=\"<>|\"#frag ment",
         "https://example.org/a%20b?q=x%20y&z=%22%3C%3E%7C%22#frag%20ment"),
        ("https://example.org/%e2%80%93/100%/x", "https://example.org/%E2%80%93/100%25/x"),
        ("https://пример.рф/путь?ключ=1", "https://xn--e1afmkfd.xn--p1ai/%D0%BF%D1%83%D1%82%D1%8C?%D0%BA%D0%BB%D1%8E%D1%87=1"),
        ("https://bücher.de:8080/ä#ö#x", "https://xn--bcher-kva.de:8080/%C3%A4#%C3%B6%23x"),
        ("https://example.org/(x)[y]{z}^`\\", "https://example.org/(x)%5By%5D%7Bz%7D%5E%60%5C"),
        # A URI stays exactly as it was: no case folding, no removal of dot segments, `+` and `%2B` kept apart.
        ("HTTPS://Example.ORG:443/a/../b/./c?a=1+2&b=%2B;c=d@e", "HTTPS://Example.ORG:443/a/../b/./c?a=1+2&b=%2B;c=d@e"),
        ("https://user:pä@[::1]:8080/a", "https://user:p%C3%A4@[::1]:8080/a"),
        ("", ""),
    ],
)
def test_an_address_becomes_a_uri_that_opens_the_same_page(address, uri):
    assert as_uri(address) == uri
    assert as_uri(uri) == uri  # encoding twice changes nothing


def test_an_address_with_a_tab_or_newline_is_left_for_the_validator_to_refuse(curator_api):
    assert as_uri("https://example.org/a\tb") == "https://example.org/a\tb"
    response = curator_api.post(
        "/api/v1/reports/", {"title": "T", "url": "https://example.org/a\nb", "published_on": "2024-12-17"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["url"]


def test_the_api_stores_and_serves_an_iri_as_its_uri(curator_api, api):
    response = curator_api.post(
        "/api/v1/reports/",
        {"title": "Losses", "url": IRI, "archived_url": "https://web.archive.org/web/2023/" + IRI,
         "published_on": "2023-01-30"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["url"] == URI
    assert response.json()["archived_url"] == "https://web.archive.org/web/2023/" + URI
    report = Report.objects.get()
    assert (report.url, report.archived_url) == (URI, "https://web.archive.org/web/2023/" + URI)
    assert api.get(f"/api/v1/reports/{report.pk}/").json()["url"] == URI

    source = SourceFactory()
    response = curator_api.patch(f"/api/v1/sources/{source.slug}/", {"url": "https://пример.рф/"}, format="json")
    assert response.status_code == 200
    assert response.json()["url"] == "https://xn--e1afmkfd.xn--p1ai/"


def test_the_length_limit_holds_for_the_address_as_encoded(curator_api):
    # 335 characters of Cyrillic are 2,010 once percent-encoded: over the limit of 2,000.
    response = curator_api.post(
        "/api/v1/reports/", {"title": "T", "url": "https://example.org/" + "я" * 335, "published_on": "2024-12-17"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"url": ["Ensure this value has at most 2000 characters (it has 2030)."]}
    assert not Report.objects.exists()


def test_the_admin_stores_an_iri_as_its_uri(admin_client):
    response = admin_client.post(
        reverse("admin:stats_report_add"),
        {"title": "Losses", "url": IRI, "archived_url": "", "published_on": "2023-01-30", "language": "",
         "summary": "", "figures-TOTAL_FORMS": "0", "figures-INITIAL_FORMS": "0"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Report.objects.get().url == URI


def test_a_save_of_any_kind_and_a_lookup_encode_the_address():
    report = ReportFactory(url=IRI)  # a plain save(), no validation
    assert report.url == URI
    assert Report.objects.filter(pk=report.pk).values_list("url", flat=True).get() == URI
    assert Report.objects.get(url=IRI) == report
    Report.objects.filter(pk=report.pk).update(archived_url=IRI)
    assert Report.objects.get(pk=report.pk).archived_url == URI


def test_the_citation_shows_the_uri(api):
    figure = FigureFactory(report=ReportFactory(url=IRI))
    citation = api.get(f"/api/v1/figures/{figure.pk}/").json()["citation"]
    assert citation.endswith(f", {URI}).")


def import_rows(*addresses: str):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIGURE_CSV_COLUMNS, restval="")
    writer.writeheader()
    for day, address in enumerate(addresses, start=10):
        writer.writerow({
            "conflict": "russia-ukraine", "party": "russia-armed-forces", "category": "total",
            "claimed_by": "general-staff", "value": 1000 + day, "qualifier": "exact", "basis": "claimed",
            "period_end": f"2023-01-{day}", "date_precision": "day", "report_title": "Losses", "report_url": address,
            "report_published_on": "2023-01-30",
        })
    return figures_import(source=io.StringIO(out.getvalue()))


@pytest.fixture
def vocabulary():
    FigureFactory(
        conflict__slug="russia-ukraine", party__slug="russia-armed-forces", category__slug="total",
        claimed_by__slug="general-staff",
    )


def test_the_importer_stores_an_iri_as_its_uri_and_matches_reports_by_it(vocabulary, api):
    result = import_rows(IRI, URI)  # one report, written both ways in one file
    assert (result.created, result.reports_created) == (2, 1)
    assert Report.objects.get(title="Losses").url == URI

    exported = b"".join(api.get("/api/v1/figures/export/", {"claimed_by": "general-staff"}).streaming_content)
    rows = list(csv.DictReader(io.StringIO(exported.decode())))
    assert {row["report_url"] for row in rows if row["report_title"] == "Losses"} == {URI}
    again = figures_import(source=io.StringIO(exported.decode()))
    assert (again.created, again.updated, again.reports_created) == (0, 0, 0)
    assert b"".join(api.get("/api/v1/figures/export/", {"claimed_by": "general-staff"}).streaming_content) == exported


def test_a_fixture_naming_a_report_by_its_iri_finds_it_by_its_uri():
    report = ReportFactory(url=URI)
    assert Report.objects.get_by_natural_key(IRI, report.title, "2024-12-17") == report


def migration():
    return importlib.import_module("stats.migrations.0004_addresses_as_uris")


def store_raw(model, pk, **addresses):
    """Write addresses as an older version stored them: raw, past the field's encoding."""
    table, quote = model._meta.db_table, connection.ops.quote_name
    key = quote(model._meta.pk.column)
    with connection.cursor() as cursor:
        for name, address in addresses.items():
            cursor.execute(f"UPDATE {quote(table)} SET {quote(name)} = %s WHERE {key} = %s", [address, pk])


def test_the_migration_encodes_stored_addresses_and_their_revisions():
    figure = FigureFactory()
    report, source = figure.report, figure.claimed_by
    store_raw(Report, report.pk, url=IRI, archived_url="https://archive.example/" + IRI)
    store_raw(Source, source.pk, url="https://пример.рф/")
    store_raw(Report.history.model, Report.history.get(id=report.pk).pk, url=IRI)
    store_raw(Source.history.model, Source.history.get(id=source.pk).pk, url="https://пример.рф/")
    before = figure.updated_at

    migration().encode_addresses(apps, None)

    report.refresh_from_db()
    assert (report.url, report.archived_url) == (URI, "https://archive.example/" + URI)
    assert Source.objects.get(pk=source.pk).url == "https://xn--e1afmkfd.xn--p1ai/"
    assert set(Report.history.filter(id=report.pk).values_list("url", flat=True)) == {URI}
    assert set(Source.history.filter(id=source.pk).values_list("url", flat=True)) == {"https://xn--e1afmkfd.xn--p1ai/"}
    figure.refresh_from_db()
    assert figure.updated_at > before  # its citation changed


def test_the_migration_stops_naming_reports_whose_addresses_would_become_one():
    first, second = ReportFactory(), ReportFactory()
    store_raw(Report, first.pk, url=IRI)
    store_raw(Report, second.pk, url=URI.replace("%E2%80%93", "%e2%80%93"))
    with pytest.raises(RuntimeError, match=rf"reports {first.pk}, {second.pk} -> {URI}"):
        migration().encode_addresses(apps, None)
    with connection.cursor() as cursor:  # nothing changed
        cursor.execute("SELECT url FROM stats_report WHERE id = %s", [first.pk])
        assert cursor.fetchone() == (IRI,)
