"""Redactions: a curator with `redact_revision` takes back the text of a revision, from every read of the past, with a
reason; the redaction is recorded, and past answers' ETags and cache keys change with it."""

import datetime

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from stats import past, versions
from stats.api import mixins
from stats.citations import format_day
from stats.models import DataVersion, Figure, Redaction, Report
from stats.redactions import REASON_MISSING, revision_redact
from tests.factories import FigureFactory

pytestmark = pytest.mark.django_db

PRIVATE = "Told by the soldier's mother, Olena Kovalenko, +380 44 123 4567"
REASON = "Personal data of a relative"


def redacted() -> str:
    return f"Redacted on {format_day(timezone.localdate())}: {REASON}"


def last_moment() -> str:
    """Return the last data version's commit time: the state just after the last write."""
    return DataVersion.objects.order_by("-number").first().committed_at.isoformat()


@pytest.fixture
def story(db):
    """A figure whose notes held personal data: created with them, its value corrected (the notes carried over),
    then the notes emptied; the moment after each write, and its revisions, oldest first."""
    figure = FigureFactory(quote="Around 765,110 soldiers", notes=PRIVATE)
    created = last_moment()
    with versions.recorded_write():
        figure.value = 770000
        figure.save()
    corrected = last_moment()
    with versions.recorded_write():
        figure.notes = ""
        figure.save()
    revisions = list(Figure.history.filter(id=figure.pk).order_by("history_date", "history_id"))
    return {"figure": figure, "created": created, "corrected": corrected, "emptied": last_moment(),
            "revisions": revisions}


@pytest.fixture
def redactor(django_user_model):
    """A curator who may also redact revisions."""
    user = django_user_model.objects.create_user("redactor", password="a-long-redactor-password", is_staff=True)
    user.groups.add(Group.objects.get(name="curators"))
    user.user_permissions.add(Permission.objects.get(codename="redact_revision"))
    return user


def redact_first(story, user, fields=("notes",)) -> Redaction:
    return revision_redact(model=Figure, revision=story["revisions"][0].history_id, fields=list(fields),
                           reason=REASON, user=user)


def past_reads(story) -> dict[str, str]:
    """Return, by address, what every read of the past answers about the figure (bodies as text)."""
    pk = story["figure"].pk
    addresses = [f"/api/v1/figures/{pk}/history/", f"/figures/{pk}/"]
    for moment in (story["created"], story["corrected"]):
        addresses += [
            f"/api/v1/figures/{pk}/?as_recorded={moment}",
            f"/api/v1/figures/?ordering=id&as_recorded={moment}",
            f"/api/v1/figures/export/?ordering=id&as_recorded={moment}",
            f"/api/v1/figures/latest/?as_of=2024-12-31&as_recorded={moment}",
            f"/figures/{pk}/?as_recorded={moment}",
        ]
    client, answers = APIClient(), {}
    for address in addresses:
        response = client.get(address.replace("+", "%2B"))
        assert response.status_code == 200, address
        content = b"".join(response.streaming_content) if response.streaming else response.content
        answers[address] = content.decode()
    return answers


def test_a_redaction_is_seen_through_every_read_of_the_past(story, redactor):
    before = past_reads(story)
    assert [address for address, body in before.items() if "Olena Kovalenko" not in body] == []

    redact_first(story, redactor)

    after = past_reads(story)
    assert [address for address, body in after.items() if "Olena" in body or "380 44" in body] == []
    pk = story["figure"].pk
    for moment in (story["created"], story["corrected"]):
        detail = APIClient().get(f"/api/v1/figures/{pk}/", {"as_recorded": moment}).json()
        assert (detail["notes"], detail["quote"]) == (redacted(), "Around 765,110 soldiers")
        assert detail["value"] == (765110 if moment == story["created"] else 770000)  # the numbers stay
        assert redacted() in after[f"/api/v1/figures/export/?ordering=id&as_recorded={moment}"]
        assert redacted() in after[f"/figures/{pk}/?as_recorded={moment}"]
    history = APIClient().get(f"/api/v1/figures/{pk}/history/").json()
    assert [entry["changes"] for entry in history] == [
        [{"field": "notes", "old": redacted(), "new": ""}],
        [{"field": "value", "old": 765110, "new": 770000}],
        history[2]["changes"],
    ]
    assert {"field": "notes", "old": None, "new": redacted()} in history[2]["changes"]
    assert "notes</code>: " + redacted().replace("'", "&#x27;") in after[f"/figures/{pk}/"]
    assert APIClient().get(f"/api/v1/figures/{pk}/").json()["notes"] == ""  # the present had none already


def test_the_redaction_is_recorded_with_who_when_why_and_which_revisions(story, redactor):
    before = timezone.now()
    redaction = redact_first(story, redactor)
    recorded = Redaction.objects.get()
    assert recorded == redaction
    first, second, third = (revision.history_id for revision in story["revisions"])
    assert (recorded.model, recorded.object_id, recorded.revision) == ("figure", story["figure"].pk, first)
    assert (recorded.fields, recorded.revisions) == (["notes"], [first, second])  # the third had no notes
    assert (recorded.redacted_by, recorded.reason) == (redactor, REASON)
    assert before <= recorded.redacted_at <= timezone.now()
    assert Figure.history.get(history_id=third).notes == ""


def test_a_redaction_takes_a_data_version_and_changes_past_etags_which_are_kept_a_day(story, redactor, monkeypatch):
    monkeypatch.setattr(mixins, "SETTLED", datetime.timedelta(0))  # the story's moments are settled at once
    api, pk = APIClient(), story["figure"].pk
    reads = [f"/api/v1/figures/{pk}/", "/api/v1/figures/", "/api/v1/figures/export/"]
    tags, shown = {}, {}
    for path in reads:
        response = api.get(path, {"as_recorded": story["corrected"]})
        assert response["Cache-Control"] == "public, max-age=86400"
        tags[path], shown[path] = response["ETag"], response["X-Data-Version"]
        assert api.get(path, {"as_recorded": story["corrected"]}, HTTP_IF_NONE_MATCH=tags[path]).status_code == 304
    history_tag = api.get(f"/api/v1/figures/{pk}/history/")["ETag"]
    version = versions.current()

    redact_first(story, redactor)

    assert versions.current() == version + 1
    for path in reads:
        response = api.get(path, {"as_recorded": story["corrected"]}, HTTP_IF_NONE_MATCH=tags[path])
        assert response.status_code == 200, path
        assert response["ETag"] != tags[path]
        assert response["X-Data-Version"] == shown[path]  # the moment's version: only the counter changed
        assert response["Cache-Control"] == "public, max-age=86400"
    assert api.get(f"/api/v1/figures/{pk}/history/", HTTP_IF_NONE_MATCH=history_tag).status_code == 200


def test_a_redaction_changes_the_key_of_the_pages_cached_for_a_past_moment(story, redactor):
    moment = past.parse_moment(story["corrected"])
    with past.reading(moment):
        before = versions.state_key()
    redact_first(story, redactor)
    with past.reading(moment):
        assert versions.state_key() != before
    assert versions.redactions() == 1


def test_redacting_the_current_revision_redacts_the_figure_itself_in_a_revision_of_its_own(redactor):
    figure = FigureFactory(notes=PRIVATE)
    api = APIClient()
    etag = api.get(f"/api/v1/figures/{figure.pk}/")["ETag"]
    revision = Figure.history.get(id=figure.pk)
    redaction = revision_redact(model=Figure, revision=revision.history_id, fields=["notes", "quote"], reason=REASON,
                                user=redactor)
    assert (redaction.fields, redaction.revisions) == (["notes"], [revision.history_id])  # the quote was empty
    response = api.get(f"/api/v1/figures/{figure.pk}/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert (response.json()["notes"], response.json()["quote"]) == (redacted(), "")
    assert [row.notes for row in Figure.history.filter(id=figure.pk).order_by("history_date")] == [redacted()] * 2
    assert Figure.history.filter(id=figure.pk).latest("history_date").history_user == redactor
    assert "Olena" not in api.get(f"/api/v1/figures/{figure.pk}/history/").content.decode()
    assert api.get("/api/v1/figures/", {"q": "Kovalenko"}).json()["count"] == 0  # the search index too


def test_a_redacted_report_title_is_gone_from_past_citations(redactor):
    figure = FigureFactory(report__title="Statement naming Olena Kovalenko")
    moment = last_moment()
    revision = Report.history.get(id=figure.report_id)
    revision_redact(model=Report, revision=revision.history_id, fields=["title"], reason=REASON, user=redactor)
    detail = APIClient().get(f"/api/v1/figures/{figure.pk}/", {"as_recorded": moment}).json()
    assert "Olena" not in str(detail)
    assert redacted() in detail["citation"]
    assert Report.objects.get().title == redacted()


@pytest.mark.parametrize(("reason", "message"), [
    ("", REASON_MISSING), ("   \n ", REASON_MISSING), ("x" * 201, "Give the reason in at most 200 characters."),
])
def test_a_redaction_requires_a_reason(story, redactor, reason, message):
    with pytest.raises(ValidationError) as refused:
        revision_redact(model=Figure, revision=story["revisions"][0].history_id, fields=["notes"], reason=reason,
                        user=redactor)
    assert refused.value.message_dict == {"reason": [message]}
    assert Redaction.objects.count() == 0
    assert Figure.history.get(history_id=story["revisions"][0].history_id).notes == PRIVATE


def test_only_the_free_text_of_a_revision_can_be_redacted(story, redactor):
    for fields in (["value"], [], ["notes", "report"]):
        with pytest.raises(ValidationError, match="Choose among the free text of a figure: quote, notes"):
            redact_first(story, redactor, fields)
    with pytest.raises(ValidationError, match="nothing to redact"):
        revision_redact(model=Figure, revision=story["revisions"][2].history_id, fields=["notes"], reason=REASON,
                        user=redactor)
    assert Redaction.objects.count() == 0


def redact_address(story, revision: int = 0) -> str:
    return reverse("admin:stats_figure_redact", args=[story["figure"].pk, story["revisions"][revision].history_id])


def test_a_curator_with_the_permission_redacts_in_the_admin_with_a_reason(client, story, redactor):
    client.force_login(redactor)
    history = client.get(reverse("admin:stats_figure_history", args=[story["figure"].pk])).content.decode()
    assert redact_address(story) in history
    form = client.get(redact_address(story))
    assert form.status_code == 200
    assert "Olena Kovalenko" in form.content.decode()

    refused = client.post(redact_address(story), {"texts": ["notes"], "reason": "  "})
    assert refused.status_code == 200
    assert REASON_MISSING.replace("'", "&#x27;") in refused.content.decode()
    assert Redaction.objects.count() == 0

    done = client.post(redact_address(story), {"texts": ["notes"], "reason": REASON})
    assert done.status_code == 302
    assert done["Location"] == reverse("admin:stats_figure_history", args=[story["figure"].pk])
    redaction = Redaction.objects.get()
    assert (redaction.redacted_by, redaction.reason, redaction.fields) == (redactor, REASON, ["notes"])
    assert Figure.history.get(history_id=story["revisions"][0].history_id).notes == redacted()


def test_a_curator_without_the_permission_can_neither_redact_nor_see_the_action(client, story, curator):
    client.force_login(curator)
    history = client.get(reverse("admin:stats_figure_history", args=[story["figure"].pk]))
    assert history.status_code == 200
    assert "/redact/" not in history.content.decode()
    assert client.get(redact_address(story)).status_code == 403
    assert client.post(redact_address(story), {"texts": ["notes"], "reason": REASON}).status_code == 403
    assert Redaction.objects.count() == 0
    assert Figure.history.get(history_id=story["revisions"][0].history_id).notes == PRIVATE


def test_curators_read_the_record_of_redactions_but_cannot_make_or_change_one(client, story, curator, redactor):
    redaction = redact_first(story, redactor)
    client.force_login(curator)
    listing = client.get(reverse("admin:stats_redaction_changelist"))
    assert listing.status_code == 200
    assert REASON in listing.content.decode()
    assert "redactor" in listing.content.decode()
    assert client.get(reverse("admin:stats_redaction_add")).status_code == 403
    assert client.post(reverse("admin:stats_redaction_delete", args=[redaction.pk]), {"post": "yes"}).status_code == 403
    assert Redaction.objects.count() == 1
