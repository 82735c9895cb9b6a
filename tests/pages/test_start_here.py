"""The "Start here" guide (docs/start-here.md): rendered at /about/api/, linked, and every request in it answering."""

import io
import re
from urllib.parse import urlsplit

import feedparser
import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import Resolver404, resolve

from stats.pages.views import START_HERE

pytestmark = pytest.mark.django_db
SERVER = "http://127.0.0.1:8000"
# A request of the guide: an address of the server, in a shell block (the answers' blocks quote addresses too).
SHELL_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
ADDRESS = re.compile(re.escape(SERVER) + r"(/[^'\"\s]*)")


def requests_of(text: str) -> list[str]:
    """Return the path and query of every request in the guide's shell blocks, in order."""
    return [address for block in SHELL_BLOCK.findall(text) for address in ADDRESS.findall(block)]


def answerable(address: str) -> bool:
    """Return whether this branch serves the address (the wide CSV, series/export, is built beside this guide)."""
    try:
        resolve(urlsplit(address).path)
    except Resolver404:
        return False
    return True


def test_the_guide_holds_a_request_for_each_of_its_five_tasks():
    text = START_HERE.read_text(encoding="utf-8")
    assert re.findall(r"^## (\d)\. ", text, re.MULTILINE) == ["1", "2", "3", "4", "5"]
    requests = requests_of(text)
    for expected in ("/api/v1/figures/latest/", "/api/v1/figures/export/", "/api/v1/compare/", "cite=retrieved",
                     "/feeds/claims.atom", "/api/v1/series/export/"):
        assert any(expected in request for request in requests), expected


def test_every_request_in_the_guide_answers_200_on_the_shipped_data(client):
    call_command("load_shipped_data", stdout=io.StringIO())
    requests = requests_of(START_HERE.read_text(encoding="utf-8"))
    assert len(requests) >= 10
    answered = {}
    for address in filter(answerable, requests):
        response = client.get(address)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        answered[address] = response.status_code
        if address.endswith(".atom"):
            parsed = feedparser.parse(body)
            assert parsed.bozo == 0 and parsed.entries, address
        elif "/api/v1/figures/" in address or "/compare/" in address:
            assert b"killed" in body, address  # an answer with claims, not an empty page
    assert answered == dict.fromkeys(answered, 200)
    assert "/api/v1/compare/?party=russia-armed-forces&category=killed&as_of=2024-12-16" in answered


def test_the_guide_is_a_page_linked_from_the_home_page_the_api_root_and_the_api_description(client):
    page = client.get("/about/api/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<title>Start here: the API in five tasks · conflictdata</title>" in html
    assert '<h2 id="1-the-latest-claim-of-every-claimant-for-a-quantity">' in html
    assert '<pre><code class="language-sh">curl \'http://127.0.0.1:8000/api/v1/figures/latest/?party=' in html
    assert '<a href="/about/api/">Start here</a>' in client.get("/").content.decode()
    assert client.get("/api/v1/").json()["guide"] == "http://testserver/about/api/"
    assert "[the API in five tasks](/about/api/)" in settings.SPECTACULAR_SETTINGS["DESCRIPTION"]
