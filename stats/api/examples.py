"""The reference's examples, asked of the API itself over the shipped data (`manage.py api_examples`).

Every read operation the API serves gets the answer to one real question; every write the body a curator would
send, taken from a shipped row and accepted by the API (the write is rolled back). Lists inside an answer keep their
first SHOWN_ITEMS items, so that an example stays short: `examples_generate()` writes them so, and a test compares
them so.
"""

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import override_settings
from django.urls import Resolver404, resolve
from rest_framework.test import APIClient

from stats.api import serializers
from stats.api.documentation import RESOURCES
from stats.models import Figure

EXAMPLES_FILE = Path(__file__).resolve().parent / "examples.json"
BASE_URL = "https://conflictdata.example.org"
SHOWN_ITEMS = 3
SHORTENED = f"Lists in this example are cut to their first {SHOWN_ITEMS} items."
# What changes at every load of the same data: row ids, the moments rows were written, the data's version, a page's
# signed cursor, and a feed's bookkeeping.
VOLATILE = {
    "id", "report", "figure", "recorded_at", "updated_at", "changed_at", "data_version", "checked_at", "version",
    "next", "previous",
}
ID_IN_ADDRESS = re.compile(r"/[0-9]+/")


def general_staff_figure() -> Figure:
    """Return the General Staff's count of Russian losses to 16 December 2024, taken from Petro Ivaniuk's dataset."""
    return Figure.objects.get(
        claimed_by__slug="ukraine-general-staff", party__slug="russia-armed-forces", category__slug="total",
        period_end="2024-12-16", dataset__slug="petroivaniuk-war-dataset",
    )


def figure_address() -> str:
    return f"/api/v1/figures/{general_staff_figure().pk}/"


def report_address() -> str:
    return f"/api/v1/reports/{general_staff_figure().report_id}/"


@dataclass(frozen=True)
class Read:
    """A question whose answer illustrates a read operation."""

    operation: str  # the path as the schema names it
    summary: str
    query: dict = field(default_factory=dict)
    address: Callable[[], str] | None = None  # for a path naming a row by its id

    def request(self) -> str:
        path = self.address() if self.address is not None else self.operation
        return f"{path}?{urlencode(self.query)}" if self.query else path


GENERAL_STAFF_TWO_DAYS = {
    "claimed_by": "ukraine-general-staff", "party": "russia-armed-forces", "category": "total",
    "period_end_after": "2024-12-15", "period_end_before": "2024-12-16",
}
RUSSIAN_KILLED = {"party": "russia-armed-forces", "category": "killed"}
READS = [
    Read("/api/v1/figures/", "A page of the General Staff's claims of Russian losses", {**GENERAL_STAFF_TWO_DAYS,
         "page_size": 2}),
    Read("/api/v1/figures/{id}/", "One figure, with its citation and attribution", address=figure_address),
    Read("/api/v1/figures/{id}/history/", "A figure's revisions", address=lambda: f"{figure_address()}history/"),
    Read("/api/v1/figures/latest/", "Each source's latest count of Russian soldiers killed, to 16 December 2024",
         {**RUSSIAN_KILLED, "as_of": "2024-12-16", "page_size": 2}),
    Read("/api/v1/figures/deleted/", "Figures deleted since 1 January 2024", {"since": "2024-01-01T00:00:00Z"}),
    Read("/api/v1/figures/export/", "The General Staff's claims of 15 and 16 December 2024 as CSV",
         GENERAL_STAFF_TWO_DAYS),
    Read("/api/v1/compare/", "Russian soldiers killed, by source, as of 16 December 2024",
         {**RUSSIAN_KILLED, "as_of": "2024-12-16"}),
    Read("/api/v1/series/", "The General Staff's count of Russian losses, 15 and 16 December 2024",
         {"party": "russia-armed-forces", "category": "total", "claimed_by": "ukraine-general-staff",
          "start": "2024-12-15", "end": "2024-12-16"}),
    Read("/api/v1/series/export/", "Russian soldiers killed, one column per claimant, 15 and 16 December 2024",
         {**RUSSIAN_KILLED, "start": "2024-12-15", "end": "2024-12-16"}),
    Read("/api/v1/datapackage.json", "The export described for data tools"),
    Read("/api/v1/conflicts/", "A page of conflicts", {"page_size": 2}),
    Read("/api/v1/conflicts/{slug}/", "The Russian invasion of Ukraine",
         address=lambda: "/api/v1/conflicts/russia-ukraine/"),
    Read("/api/v1/parties/", "A page of parties", {"page_size": 2}),
    Read("/api/v1/parties/{slug}/", "Russia's armed forces", address=lambda: "/api/v1/parties/russia-armed-forces/"),
    Read("/api/v1/sources/", "A page of sources", {"page_size": 2}),
    Read("/api/v1/sources/{slug}/", "The General Staff of Ukraine's armed forces",
         address=lambda: "/api/v1/sources/ukraine-general-staff/"),
    Read("/api/v1/categories/", "A page of categories", {"page_size": 2}),
    Read("/api/v1/categories/{slug}/", "Killed", address=lambda: "/api/v1/categories/killed/"),
    Read("/api/v1/reports/", "A page of the Ministry of Defence of Ukraine's reports, to 17 December 2024",
         {"publisher": "ukraine-mod", "published_before": "2024-12-17", "page_size": 2}),
    Read("/api/v1/reports/{id}/", "The report of the General Staff's figure of 16 December 2024",
         address=report_address),
    Read("/api/v1/datasets/", "A page of datasets, with their feeds", {"page_size": 2}),
    Read("/api/v1/datasets/{slug}/", "Petro Ivaniuk's compilation of the General Staff's figures",
         address=lambda: "/api/v1/datasets/petroivaniuk-war-dataset/"),
]


@dataclass(frozen=True)
class Write:
    """The bodies a curator sends to add, replace and change a row of one resource, built from a shipped row."""

    collection: str
    detail: str  # the detail operation's path as the schema names it
    serializer: type
    shipped: Callable[[], str]  # the shipped row's address
    added: dict  # what a new row changes of the shipped one
    changed: dict  # a change of some fields
    summary: str


WRITES = [
    Write("/api/v1/conflicts/", "/api/v1/conflicts/{slug}/", serializers.ConflictSerializer,
          lambda: "/api/v1/conflicts/russia-ukraine/",
          {"slug": "sudan-civil-war", "name": "Sudanese civil war", "started_on": "2023-04-15", "ended_on": None,
           "description": "The war between the Sudanese Armed Forces and the Rapid Support Forces."},
          {"ended_on": None}, "the Russian invasion of Ukraine"),
    Write("/api/v1/parties/", "/api/v1/parties/{slug}/", serializers.PartySerializer,
          lambda: "/api/v1/parties/russia-armed-forces/",
          {"slug": "north-korea-civilians", "name": "North Korean civilians", "kind": "civilians", "country": "KP"},
          {"name": "Russian armed forces"}, "Russia's armed forces"),
    Write("/api/v1/sources/", "/api/v1/sources/{slug}/", serializers.SourceSerializer,
          lambda: "/api/v1/sources/ukraine-general-staff/",
          {"slug": "acled", "name": "ACLED", "kind": "ngo", "country": "", "affiliation": None,
           "url": "https://acleddata.com/", "description": "Armed Conflict Location & Event Data."},
          {"url": "https://www.zsu.gov.ua/"}, "the General Staff of Ukraine's armed forces"),
    Write("/api/v1/categories/", "/api/v1/categories/{slug}/", serializers.CategorySerializer,
          lambda: "/api/v1/categories/killed/",
          {"slug": "displaced", "name": "Displaced", "description": "People forced to leave their homes."},
          {"name": "Killed"}, "killed"),
    Write("/api/v1/reports/", "/api/v1/reports/{id}/", serializers.ReportSerializer, report_address,
          {"title": "Enemy combat losses (a report not yet recorded)",
           "url": "https://mod.gov.ua/news/a-report-not-yet-recorded"},
          {"archived_url": "https://web.archive.org/web/2024/https://mod.gov.ua/"},
          "the report of the General Staff's figure of 16 December 2024"),
    Write("/api/v1/datasets/", "/api/v1/datasets/{slug}/", serializers.DatasetSerializer,
          lambda: "/api/v1/datasets/petroivaniuk-war-dataset/",
          {"slug": "newsroom-compilation", "name": "A newsroom's compilation", "licence": "CC-BY-4.0",
           "url": "https://github.com/newsroom/casualties", "attribution": "The Newsroom", "retrieved": "2024-12-17",
           "description": "Claims of Russian losses gathered by our newsroom from official statements."},
          {"retrieved": "commit 37655f8"}, "Petro Ivaniuk's compilation"),
    Write("/api/v1/figures/", "/api/v1/figures/{id}/", serializers.FigureSerializer, figure_address,
          {"category": "killed", "value": 198000, "claimed_by": "volodymyr-zelenskyy", "dataset": None,
           "quote": "About 198,000 Russian soldiers have been killed."},
          {"notes": "Checked against the report's text."},
          "the General Staff's figure of 16 December 2024"),
]


def shortened(value):
    """Return `value` with every list in it cut to its first SHOWN_ITEMS items."""
    if isinstance(value, list):
        return [shortened(item) for item in value[:SHOWN_ITEMS]]
    if isinstance(value, dict):
        return {key: shortened(item) for key, item in value.items()}
    return value


def comparable(value):
    """Return `value` without what differs between two loads of the same data (VOLATILE, ids in addresses)."""
    if isinstance(value, list):
        return [comparable(item) for item in value]
    if isinstance(value, dict):
        volatile = VOLATILE | ({"old", "new"} if value.get("field") in VOLATILE else set())
        return {key: "…" if key in volatile and item is not None else comparable(item) for key, item in value.items()}
    if isinstance(value, str) and value.startswith("id,"):
        return comparable(list(csv.DictReader(io.StringIO(value))))
    if isinstance(value, str):
        return ID_IN_ADDRESS.sub("/…/", value)
    return value


def served(address: str) -> bool:
    """Return whether the API serves this address (`series/export` lands on its own branch)."""
    try:
        resolve(urlsplit(address).path)
    except Resolver404:
        return False
    return True


def read_example(client: APIClient, read: Read) -> dict:
    """Return the example of one read: the request, and its answer as the API gives it (shortened)."""
    response = client.get(read.request(), HTTP_ACCEPT="*/*")
    if response.status_code != 200:
        raise AssertionError(f"GET {read.request()} answered {response.status_code}")
    if response["Content-Type"].startswith("text/csv"):
        lines = response.getvalue().decode().splitlines(keepends=True)
        value = "".join(lines[:SHOWN_ITEMS])
    else:
        value = shortened(response.json())
    return {"summary": read.summary, "description": f"`GET {read.request()}`", "value": value}


def write_examples(client: APIClient, write: Write) -> dict[str, dict]:
    """Return the examples of a resource's POST, PUT and PATCH, each checked by sending it (then rolled back)."""
    address = write.shipped()
    singular = RESOURCES[write.collection.split("/")[3]].singular
    writable = [name for name, declared in write.serializer().fields.items() if not declared.read_only]
    shipped = client.get(address).json()
    replaced = {name: shipped[name] for name in writable if name in shipped}
    sends = {
        f"POST {write.collection}": ("post", write.collection, {**replaced, **write.added}, f"A new {singular}"),
        f"PUT {write.detail}": ("put", address, replaced, f"Every field of {write.summary}"),
        f"PATCH {write.detail}": ("patch", address, write.changed, f"A change to {write.summary}"),
    }
    examples = {}
    for operation, (method, path, body, summary) in sends.items():
        with transaction.atomic():
            response = getattr(client, method)(path, body, format="json")
            transaction.set_rollback(True)
        if response.status_code not in (200, 201):
            raise AssertionError(f"{method.upper()} {path} answered {response.status_code}: {response.content[:500]}")
        examples[operation] = {"summary": summary, "value": body}
    return examples


def examples_generate() -> dict[str, dict]:
    """Return every example, keyed by operation (`GET /api/v1/compare/`), asked of the API over the current data."""
    examples = {}
    with override_settings(ALLOWED_HOSTS=["testserver"], PUBLIC_URL=BASE_URL):
        client = APIClient()
        for read in READS:
            if served(read.request()):
                examples[f"GET {read.operation}"] = read_example(client, read)
        with transaction.atomic():
            curator = get_user_model().objects.create_user("api-examples", is_staff=True)
            curator.groups.add(Group.objects.get(name="curators"))
            client.force_authenticate(curator)
            for write in WRITES:
                examples.update(write_examples(client, write))
            transaction.set_rollback(True)
    return examples


def examples_write(examples: dict[str, dict]) -> None:
    EXAMPLES_FILE.write_text(json.dumps(examples, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def examples_read() -> dict[str, dict]:
    """Return the examples kept in the repository (an empty set before the first `manage.py api_examples`)."""
    if not EXAMPLES_FILE.exists():
        return {}
    return json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))
