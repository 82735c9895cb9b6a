"""The API reference a journalist reads: every operation explained, examples that are the API's own answers over the
shipped data, and code samples that run."""

import io
import re
import subprocess
import sys
from urllib.parse import parse_qsl, urlsplit

import jsonschema
import pytest
from django.core.management import CommandError, call_command

from stats.api.examples import (
    BASE_URL,
    EXAMPLES_FILE,
    SHOWN_ITEMS,
    comparable,
    examples_generate,
    examples_read,
    served,
)
from stats.api.samples import SAMPLES

SERIES_EXPORT = "/api/v1/series/export/"


@pytest.fixture
def schema(api, db):
    return api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def operations(schema: dict):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def test_every_operation_has_a_summary_a_description_and_described_parameters(schema):
    for name, operation in operations(schema):
        assert operation.get("summary"), name
        assert operation.get("description"), name
        undescribed = [parameter["name"] for parameter in operation.get("parameters", [])
                       if not parameter.get("description")]
        assert undescribed == [], name


def test_path_parameters_say_what_they_name(schema):
    [slug] = schema["paths"]["/api/v1/sources/{slug}/"]["get"]["parameters"][-1:]
    assert "`ukraine-general-staff`" in slug["description"] and "`claimed_by`" in slug["description"]
    [number] = [p for p in schema["paths"]["/api/v1/reports/{id}/"]["patch"]["parameters"] if p["in"] == "path"]
    assert number["description"].startswith("The report's number")


def test_every_read_has_an_answer_example_and_every_write_a_body_example(schema):
    for name, operation in operations(schema):
        if "requestBody" in operation and not name.startswith("POST /api/v1/auth/"):
            assert operation["requestBody"]["content"]["application/json"]["examples"]["shipped"]["value"], name
        elif name.startswith("GET "):
            contents = operation["responses"]["200"]["content"].values()
            assert any("shipped" in content.get("examples", {}) for content in contents), name


def nullable_as_json_schema(node):
    """Return an OpenAPI 3.0 schema as JSON Schema: `nullable: true` becomes a null alternative, and `oneOf` an
    `anyOf` (an empty address is valid under both of drf-spectacular's blank-or-URI branches when formats are not
    asserted)."""
    if isinstance(node, list):
        return [nullable_as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    renamed = {"oneOf": "anyOf"}
    converted = {
        renamed.get(key, key): nullable_as_json_schema(value) for key, value in node.items() if key != "nullable"
    }
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def test_every_example_validates_against_its_schema(schema):
    document = nullable_as_json_schema(schema)
    checked = 0
    for name, operation in operations(document):
        bodies = [operation.get("requestBody", {}), operation["responses"].get("200", {})]
        for body in bodies:
            for content in body.get("content", {}).values():
                for example in content.get("examples", {}).values():
                    # Its references point into the document's components.
                    root = {"allOf": [content["schema"]], "components": document["components"]}
                    validator = jsonschema.Draft7Validator(root)
                    errors = [error.message for error in validator.iter_errors(example["value"])]
                    assert errors == [], name
                    checked += 1
    assert checked == len(examples_read())


@pytest.mark.django_db
def test_the_examples_are_what_the_api_answers_over_the_shipped_data():
    """Run `manage.py api_examples` on a database loaded with `load_shipped_data` alone when this fails."""
    call_command("load_shipped_data", stdout=io.StringIO())
    kept = examples_read()
    asked = examples_generate()
    assert set(asked) == set(kept)
    for operation, example in asked.items():
        assert comparable(example) == comparable(kept[operation]), operation
    assert len(kept["GET /api/v1/figures/"]["value"]["results"]) == 2
    assert len(kept["GET /api/v1/compare/"]["value"]["claims"]) == SHOWN_ITEMS


@pytest.mark.django_db
def test_the_examples_command_refuses_a_database_without_the_shipped_data():
    kept = EXAMPLES_FILE.read_bytes()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("api_examples")
    assert EXAMPLES_FILE.read_bytes() == kept


def test_examples_compare_without_what_changes_at_every_load():
    answer = {"id": 7, "report": 3, "value": 10, "feeds": [{"checked_at": "2026-01-01T00:00:00Z", "state": "current"}],
              "changes": [{"field": "report", "old": None, "new": 3}], "url": "https://x.example/api/v1/figures/7/"}
    again = {"id": 8, "report": 4, "value": 10, "feeds": [{"checked_at": "2026-02-01T00:00:00Z", "state": "current"}],
             "changes": [{"field": "report", "old": None, "new": 4}], "url": "https://x.example/api/v1/figures/8/"}
    assert comparable(answer) == comparable(again)
    assert comparable(answer) != comparable({**again, "value": 11})
    assert comparable(answer) != comparable({**again, "feeds": [{"checked_at": None, "state": "current"}]})


def run_python_samples(base_url: str, paths: list[str]) -> dict[str, str]:
    """Return each Python sample's output, having run it against `base_url`; fail with its error when it fails."""
    outputs = {}
    for path in paths:
        for lang, label, source in SAMPLES[path]:
            if lang != "Python":
                continue
            done = subprocess.run(
                [sys.executable, "-c", source.replace(BASE_URL, base_url)], capture_output=True, text=True, timeout=120,
            )
            assert done.returncode == 0, f"{path} {label}:\n{done.stderr}"
            outputs[f"{path} {label}"] = done.stdout
    return outputs


@pytest.mark.django_db(transaction=True)
def test_the_python_samples_run_against_a_server_holding_the_shipped_data(live_server):
    call_command("load_shipped_data", stdout=io.StringIO())
    outputs = run_python_samples(live_server.url, [path for path in SAMPLES if path != SERIES_EXPORT])
    assert len(outputs) == 4
    assert "the latest: The Economist estimated" in outputs["/api/v1/figures/ Python (requests)"]
    assert "the-economist 191971 counted to 2024-12-16" in outputs["/api/v1/compare/ Python (requests)"]


@pytest.mark.django_db(transaction=True)
def test_the_series_export_samples_run_once_the_series_export_exists(live_server):
    if not served(SERIES_EXPORT):
        pytest.skip(f"{SERIES_EXPORT} is not served yet (issue 27, point 2)")
    call_command("load_shipped_data", stdout=io.StringIO())
    [output] = run_python_samples(live_server.url, [SERIES_EXPORT]).values()
    assert "'date'" in output


R_ARGUMENT = re.compile(r"\b([a-z_]+) = ")
R_CALL = re.compile(r"req_url_query\((.*?)\)\s*\|>", re.S)
R_ADDRESS = re.compile(r'"([^"]*\?[^"]*)"')


def r_parameters(source: str) -> set[str]:
    """Return the query parameters an R sample names, in its addresses and in its `req_url_query()`."""
    named = {name for call in R_CALL.findall(source) for name in R_ARGUMENT.findall(call)}
    for address in R_ADDRESS.findall(source):
        named |= {name for name, _ in parse_qsl(urlsplit(address).query.lstrip("?") or address.split("?", 1)[1])}
    return named


@pytest.mark.parametrize("path", list(SAMPLES))
def test_the_r_samples_name_only_parameters_of_their_operation(schema, path):
    if path not in schema["paths"]:
        pytest.skip(f"{path} is not served yet")
    parameters = {parameter["name"] for parameter in schema["paths"][path]["get"]["parameters"]}
    [source] = [source for lang, _, source in SAMPLES[path] if lang == "R"]
    named = r_parameters(source)
    assert named, path
    assert named <= parameters, path


def test_the_r_parameters_are_read_from_both_forms():
    source = 'request("https://a/x/") |>\n  req_url_query(party = "p", page_size = 2) |>\n  req_perform()\n' \
             'read_csv("https://a/x/export/?category=killed&as_of=2024-12-16")'
    assert r_parameters(source) == {"party", "page_size", "category", "as_of"}


def test_each_sampled_operation_shows_curl_python_and_r(schema):
    for path, methods in schema["paths"].items():
        samples = methods.get("get", {}).get("x-codeSamples")
        if path in SAMPLES:
            assert [sample["lang"] for sample in samples] == ["curl", "Python", "R"], path
            assert "```sh\ncurl " in methods["get"]["description"]
        else:
            assert samples is None, path


@pytest.mark.parametrize("public_url, base", [(None, "http://testserver"),
                                              ("https://data.newsroom.example", "https://data.newsroom.example")])
def test_code_samples_call_the_service_they_are_read_on(client, settings, public_url, base):
    settings.PUBLIC_URL = public_url
    operation = client.get("/api/schema/", {"format": "json"}).json()["paths"]["/api/v1/compare/"]["get"]
    curl = next(sample["source"] for sample in operation["x-codeSamples"] if sample["lang"] == "curl")
    assert curl.startswith(f"curl '{base}/api/v1/compare/?")
    assert f"curl '{base}/api/v1/compare/?" in operation["description"]
