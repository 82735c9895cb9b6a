"""The vocabularies each process keeps (stats/vocabularies.py): what lists of figures show from them."""

import functools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stats import vocabularies
from stats.api.reading import ValuesReader, given, select_names
from stats.api.serializers import ComputedText, FigureSerializer
from stats.api.views import FigureViewSet
from stats.citations import format_attribution
from stats.models import DataVersion, Figure, Party, Report, Source
from tests.factories import DatasetFactory, FigureFactory, PartyFactory, ReportFactory, SourceFactory


def shown(response) -> list[tuple]:
    return [
        (row["id"], row["conflict"], row["party"], row["category"], row["claimed_by"], row["dataset"],
         row["citation"], row["attribution"])
        for row in response.json()["results"]
    ]


def expected(*figures: Figure) -> list[tuple]:
    return [
        (figure.id, figure.conflict.slug, figure.party.slug, figure.category.slug, figure.claimed_by.slug,
         figure.dataset and figure.dataset.slug, figure.citation, figure.attribution)
        for figure in figures
    ]


def test_a_list_shows_each_figures_vocabularies_as_the_detail_does(api, db):
    dataset = DatasetFactory(name="Economist tracker", attribution="The Economist", licence="CC-BY-4.0")
    publisher = SourceFactory(name="Ministry of Defence")
    first = FigureFactory(report=ReportFactory(publisher=publisher), dataset=dataset)
    second = FigureFactory(claimed_by=publisher)
    response = api.get("/api/v1/figures/", {"ordering": "id"})
    assert response.status_code == 200
    assert shown(response) == expected(first, second)
    assert response.json()["results"][0]["citation"].startswith(f"{first.claimed_by.name} claimed about 765,110 ")
    assert "(Ministry of Defence, “Report" in response.json()["results"][0]["citation"]
    assert response.json()["results"][0]["attribution"] == "Compiled by The Economist, CC BY 4.0."
    assert response.json()["results"][1]["dataset"] is None
    for row in response.json()["results"]:
        assert row == api.get(f"/api/v1/figures/{row['id']}/").json()


def test_a_list_shows_a_renamed_source_at_once_and_its_old_name_in_the_past(api, curator_api, figure):
    old_name = figure.claimed_by.name
    assert api.get("/api/v1/figures/").json()["results"][0]["claimed_by"] == figure.claimed_by.slug  # now kept
    before = DataVersion.objects.order_by("-number").first().committed_at.isoformat()
    renamed = curator_api.patch(
        f"/api/v1/sources/{figure.claimed_by.slug}/", {"name": "Renamed Staff", "slug": "renamed-staff"}, format="json"
    )
    assert renamed.status_code == 200
    [now] = api.get("/api/v1/figures/").json()["results"]
    assert now["claimed_by"] == "renamed-staff"
    assert now["citation"].startswith("Renamed Staff claimed about 765,110 ")
    [then] = api.get("/api/v1/figures/", {"as_recorded": before}).json()["results"]
    assert then["claimed_by"] == figure.claimed_by.slug
    assert then["citation"].startswith(f"{old_name} claimed about 765,110 ")


def test_a_list_cites_each_report_from_the_copy_and_an_edited_one_at_once(api, curator_api, figure):
    report = figure.report
    with CaptureQueriesContext(connection) as queries:
        [row] = api.get("/api/v1/figures/").json()["results"]
    assert row["citation"] == figure.citation
    [page] = [query["sql"] for query in queries if 'FROM "stats_figure"' in query["sql"] and "COUNT" not in query["sql"]]
    assert '"stats_report"' not in page  # the report's title, day, address and publisher come from the copy
    before = DataVersion.objects.order_by("-number").first().committed_at.isoformat()
    edited = curator_api.patch(f"/api/v1/reports/{report.pk}/", {"title": "Corrected bulletin"}, format="json")
    assert edited.status_code == 200
    [now] = api.get("/api/v1/figures/").json()["results"]
    assert "“Corrected bulletin”" in now["citation"]
    assert now == api.get(f"/api/v1/figures/{figure.pk}/").json()
    [then] = api.get("/api/v1/figures/", {"as_recorded": before}).json()["results"]
    assert f"“{report.title}”" in then["citation"]


def test_a_report_the_copy_lacks_is_read_by_its_id_and_names_its_publisher(api, figure):
    """As when a report is added after this process read its copy, in the same data version."""
    publisher = SourceFactory(name="Late Publisher")
    other = FigureFactory(report=ReportFactory(publisher=publisher, title="Late bulletin"))
    assert api.get("/api/v1/figures/").status_code == 200
    copies = vocabularies.copies()
    for model, pk in [(Report, other.report_id), (Source, publisher.pk)]:
        for values in copies[model].columns.values():
            del values[pk]
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/figures/", {"ordering": "id"})
    assert response.status_code == 200
    assert shown(response) == expected(figure, other)
    assert "(Late Publisher, “Late bulletin”" in response.json()["results"][1]["citation"]
    # 1 the data version, 2 the count, 3 the page, 4 the report the copy lacked, 5 its publisher, found through it
    assert len(queries) == 5
    assert 'FROM "stats_report" WHERE "id" IN' in queries[3]["sql"], queries[3]["sql"]
    assert 'FROM "stats_source" WHERE "id" IN' in queries[4]["sql"], queries[4]["sql"]
    assert copies[Report].columns["title"][other.report_id] == "Late bulletin"


def test_a_report_another_thread_read_in_meanwhile_is_still_shown(api, figure, monkeypatch):
    """The first try at a page lacked the report; before this request looks for it, another request has put it in
    the copy. The columns the first try used still lack it: it is read for them, not taken for a wrong row."""
    assert api.get("/api/v1/figures/").status_code == 200
    for values in vocabularies.copies()[Report].columns.values():
        del values[figure.report_id]
    include = ValuesReader.include

    def after_another_request(self, rows, names, kept, copies, columns, alias):
        vocabularies.include(copies[Report], Report, {figure.report_id}, alias)  # the other request, first
        return include(self, rows, names, kept, copies, columns, alias)

    monkeypatch.setattr(ValuesReader, "include", after_another_request)
    response = api.get("/api/v1/figures/")
    assert response.status_code == 200
    assert shown(response) == expected(figure)


class AffiliatedFigureSerializer(FigureSerializer):
    """A claimant's affiliation's name: a relation two copies deep, as deep as the report's publisher's."""

    affiliation = ComputedText(paths={"name": "claimed_by__affiliation__name"}, compute=lambda name: name)

    class Meta(FigureSerializer.Meta):
        fields = [*FigureSerializer.Meta.fields, "affiliation"]


def test_rows_the_copies_lack_are_found_along_every_relation_whatever_the_order_of_the_tables(db, monkeypatch):
    monkeypatch.setattr(vocabularies, "shown", {model: list(fields) for model, fields in vocabularies.shown.items()})
    reader = ValuesReader(AffiliatedFigureSerializer)
    party = PartyFactory(name="Late Party")
    figure = FigureFactory(claimed_by=SourceFactory(affiliation=party), report=ReportFactory(publisher=SourceFactory()))
    copies = vocabularies.copies()
    for model, pk in [(Source, figure.claimed_by_id), (Party, party.pk), (Report, figure.report_id)]:
        for values in copies[model].columns.values():
            del values[pk]
    values = reader.values(Figure.objects.all())
    [row] = reader.represent(reader.fetch(values), select_names(values.query), "default")
    assert row["affiliation"] == "Late Party"
    assert row["citation"] == figure.citation


def test_a_row_the_copy_lacks_is_read_by_its_id(api, figure):
    """As when a source is added after this process read its copy, in the same data version."""
    other = FigureFactory(claimed_by=SourceFactory(name="Late Source"))
    assert api.get("/api/v1/figures/").status_code == 200
    copy = vocabularies.copies()[Source]
    for values in copy.columns.values():
        del values[other.claimed_by_id]
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/figures/", {"ordering": "id"})
    assert response.status_code == 200
    assert shown(response) == expected(figure, other)
    # 1 the data version, 2 the count, 3 the page, 4 the source the copy lacked
    assert len(queries) == 4
    assert 'FROM "stats_source" WHERE "id" IN' in queries[-1]["sql"], queries[-1]["sql"]
    assert copy.columns["name"][other.claimed_by_id] == "Late Source"


def test_a_vocabulary_too_large_to_copy_shows_every_page_whole(api, db, monkeypatch):
    figures = [FigureFactory(claimed_by=SourceFactory()) for _ in range(7)]
    monkeypatch.setattr(vocabularies, "KEPT_ROWS", 6)  # fewer than the parties, categories and sources
    assert shown(api.get("/api/v1/figures/", {"ordering": "id", "page_size": 3})) == expected(*figures[:3])
    # The rows kept from the first page are dropped to keep at most 6, and the second page's all read.
    assert shown(api.get("/api/v1/figures/", {"ordering": "id", "page_size": 7})) == expected(*figures)


def test_an_error_inside_a_representation_is_not_taken_for_a_missing_row(figure):
    reader = FigureViewSet.reader
    values = reader.values(Figure.objects.all())
    names = select_names(values.query)
    [row] = reader.fetch(values)
    wrong = tuple("nonsense" if name == "qualifier" else value for name, value in zip(names, row, strict=True))
    assert reader.represent([row], names, "default")[0]["id"] == figure.id
    with CaptureQueriesContext(connection) as queries, pytest.raises(KeyError, match="nonsense"):
        reader.represent([wrong], names, "default")  # the citation's words for the qualifier
    assert not [query["sql"] for query in queries if 'WHERE "id" IN' in query["sql"]]  # no vocabulary row looked for


def test_a_computed_fields_function_is_passed_its_arguments_by_position_only_where_its_own_signature_allows():
    paths = {"dataset": "dataset__name", "attribution": "dataset__attribution", "licence": "dataset__licence"}

    def read(path):
        return f"row[{path}]"

    def keyword_only(*, dataset, attribution, licence):
        return dataset

    @functools.wraps(format_attribution)
    def wrapped(**arguments):  # takes names only, whatever the function it wraps takes
        return format_attribution(**arguments)

    positional = ["row[dataset__name]", "row[dataset__attribution]", "row[dataset__licence]"]
    by_name = ["dataset=row[dataset__name]", "attribution=row[dataset__attribution]", "licence=row[dataset__licence]"]
    assert given(format_attribution, paths, read) == positional
    assert given(format_attribution, dict(reversed(paths.items())), read) == positional  # its order, not the paths'
    assert given(keyword_only, paths, read) == by_name
    assert given(wrapped, paths, read) == by_name
    assert given(functools.lru_cache(format_attribution), paths, read) == by_name
    assert given(format_attribution, {**paths, "extra": "dataset__slug"}, read)[-1] == "extra=row[dataset__slug]"
