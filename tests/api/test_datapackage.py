"""The export described as a Frictionless Data Package, checked by the frictionless validator on a real export."""

import frictionless
import pytest

from stats.csvformat import FIGURE_CSV_COLUMNS
from tests.factories import DatasetFactory, FigureFactory, ReportFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def figures():
    economist = DatasetFactory(slug="economist", name="The Economist's estimates", attribution="The Economist",
                               licence="CC-BY-4.0", url="https://github.com/TheEconomist/estimates")
    mediazona = DatasetFactory(slug="mediazona", licence="NOASSERTION")
    return [
        FigureFactory(dataset=economist, value_low=10, value_high=20, report__publisher=SourceFactory()),
        FigureFactory(dataset=mediazona, report=ReportFactory(url=None), quote='"=1+1", a quote, with commas'),
        FigureFactory(dataset=None, notes="A curator's own entry.\nOn two lines."),
    ]


def descriptor(api) -> dict:
    response = api.get("/api/v1/datapackage.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["ETag"]
    return response.json()


def test_the_descriptor_is_a_valid_data_package_naming_every_column_and_licence(api, figures):
    package = descriptor(api)
    assert list(frictionless.Package.metadata_validate(package)) == []
    resource = package["resources"][0]
    assert resource["path"] == "http://testserver/api/v1/figures/export/"
    fields = {field["name"]: field for field in resource["schema"]["fields"]}
    assert list(fields) == FIGURE_CSV_COLUMNS
    assert fields["value"] == {
        "name": "value", "type": "integer", "description": "The best figure the claim gives.",
        "constraints": {"required": True, "minimum": 0, "maximum": 10_000_000_000},
    }
    assert fields["qualifier"]["constraints"]["enum"] == ["exact", "approximately", "at_least", "at_most"]
    assert fields["period_start"]["type"] == "date" and "constraints" not in fields["period_start"]
    assert fields["report_url"]["format"] == "uri"
    assert fields["dataset"]["description"].startswith("Slug of the compilation the figure was taken from")
    assert [licence["name"] for licence in package["licenses"]] == ["CC-BY-4.0", "NOASSERTION"]
    economist = next(source for source in package["sources"] if source["name"] == "economist")
    assert economist == {
        "title": "The Economist's estimates (The Economist; CC BY 4.0; commit 0000000)",
        "path": "https://github.com/TheEconomist/estimates", "name": "economist",
        "licenses": [{"name": "CC-BY-4.0", "path": "https://spdx.org/licenses/CC-BY-4.0.html", "title": "CC BY 4.0"}],
    }


def validate_export(package: dict, export: bytes, folder) -> frictionless.Report:
    (folder / "figures.csv").write_bytes(export)
    package["resources"][0]["path"] = "figures.csv"
    return frictionless.Package(package, basepath=str(folder)).validate()


def test_a_real_export_is_valid_against_the_descriptor(api, figures, tmp_path):
    export = b"".join(api.get("/api/v1/figures/export/").streaming_content)
    report = validate_export(descriptor(api), export, tmp_path)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert report.tasks[0].stats["rows"] == 3


def test_the_validator_refuses_an_export_that_breaks_the_descriptor(api, figures, tmp_path):
    export = b"".join(api.get("/api/v1/figures/export/").streaming_content).decode()
    lines = export.splitlines()
    cells = lines[1].split(",")
    cells[FIGURE_CSV_COLUMNS.index("qualifier")] = "roughly"
    broken = "\r\n".join([lines[0], ",".join(cells), *lines[2:]]).encode()
    report = validate_export(descriptor(api), broken, tmp_path)
    assert not report.valid
    assert [(error[1], error[2]) for error in report.flatten(["rowNumber", "fieldName", "type"])] == [
        ("qualifier", "constraint-error")
    ]
