import datetime
import re
from functools import partial

import pytest
from axes.models import AccessAttempt
from django.contrib.messages import get_messages
from django.urls import reverse

from stats.models import DUPLICATE_CLAIM_MESSAGE, Figure
from tests.concurrency import api_as, curator_named, race, require_postgresql
from tests.factories import FigureFactory, ReportFactory

pytestmark = pytest.mark.django_db

MODELS = ["conflict", "party", "source", "report", "category", "figure"]


def figure_form(figure: Figure, **changes) -> dict:
    """Return the admin form data that records `figure` again, with `changes`."""
    data = {
        "conflict": figure.conflict_id, "party": figure.party_id, "category": figure.category_id,
        "claimed_by": figure.claimed_by_id, "report": figure.report_id, "value": figure.value,
        "value_low": "", "value_high": "", "qualifier": figure.qualifier, "basis": figure.basis,
        "period_start": "", "period_end": figure.period_end.isoformat(), "date_precision": "day",
        "quote": "", "notes": "",
    }
    data.update(changes)
    return data


def related_object(figure: Figure, model: str):
    return {"figure": figure, "claimed_by": figure.claimed_by, "source": figure.claimed_by}.get(
        model, getattr(figure, model, None)
    )


@pytest.mark.parametrize("model", MODELS)
def test_every_changelist_add_change_and_history_page_answers(admin_client, figure, model):
    obj = related_object(figure, model)
    pages = [
        reverse(f"admin:stats_{model}_changelist"),
        reverse(f"admin:stats_{model}_add"),
        reverse(f"admin:stats_{model}_change", args=[obj.pk]),
        reverse(f"admin:stats_{model}_history", args=[obj.pk]),
    ]
    for page in pages:
        assert admin_client.get(page).status_code == 200, page


def test_changelists_filter_and_search(admin_client, figure):
    other = FigureFactory(value=10)
    url = reverse("admin:stats_figure_changelist")
    response = admin_client.get(url, {"claimed_by__id__exact": figure.claimed_by_id, "q": ""})
    assert [row.pk for row in response.context["cl"].result_list] == [figure.pk]
    response = admin_client.get(url, {"report__id__exact": other.report_id})
    assert [row.pk for row in response.context["cl"].result_list] == [other.pk]
    response = admin_client.get(url, {"cumulative": "no"})
    assert list(response.context["cl"].result_list) == []


def test_figure_changelist_takes_a_fixed_number_of_queries(admin_client, django_assert_max_num_queries):
    for _ in range(5):
        FigureFactory()
    with django_assert_max_num_queries(20):
        response = admin_client.get(reverse("admin:stats_figure_changelist"))
    assert len(response.context["cl"].result_list) == 5


def test_the_report_page_edits_its_figures_inline(admin_client, figure):
    response = admin_client.get(reverse("admin:stats_report_change", args=[figure.report_id]))
    content = response.content.decode()
    assert 'name="figures-TOTAL_FORMS"' in content
    assert 'name="figures-0-value" value="765110"' in content


def test_a_curator_can_add_a_figure_and_cannot_touch_users(client, curator, figure):
    client.force_login(curator)
    response = client.post(
        reverse("admin:stats_figure_add"),
        figure_form(figure, period_end="2024-12-15", value=763510, notes="From the report of 16 December."),
    )
    assert response.status_code == 302
    added = Figure.objects.get(period_end=datetime.date(2024, 12, 15))
    assert (added.value, added.cumulative) == (763510, True)
    assert added.history.get().history_user == curator
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert client.get(reverse("admin:auth_user_add")).status_code == 403


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"value": "-3"}, "The value cannot be negative."),
        ({"value_low": "900", "value_high": "100"}, "The low end of the range cannot be above its high end."),
        ({"period_start": "2024-12-16", "period_end": "2024-12-01"}, "The period cannot end before it starts."),
        ({"period_start": "2022-01-01"}, "The period cannot begin before the conflict did (2022-02-24)."),
        ({}, DUPLICATE_CLAIM_MESSAGE),
    ],
)
def test_a_bad_figure_gives_a_form_error(admin_client, figure, changes, message):
    response = admin_client.post(reverse("admin:stats_figure_add"), figure_form(figure, **changes))
    assert response.status_code == 200
    errors = [error for form_errors in response.context["adminform"].form.errors.values() for error in form_errors]
    assert message in errors
    assert Figure.objects.count() == 1


def test_a_lower_cumulative_figure_is_saved_with_a_warning(admin_client, figure):
    response = admin_client.post(
        reverse("admin:stats_figure_add"), figure_form(figure, period_end="2024-12-17", value=765000)
    )
    assert response.status_code == 302
    warnings = [str(message) for message in get_messages(response.wsgi_request) if message.level_tag == "warning"]
    assert warnings == [
        "The cumulative figure 765,000 (to 2024-12-17) is lower than the same claimant's previous one for this "
        "quantity, 765,110 (to 2024-12-16). If it is a typo, correct it; if the source corrected itself, say so "
        "in the notes."
    ]
    assert Figure.objects.filter(value=765000).exists()


def test_a_higher_cumulative_figure_brings_no_warning(admin_client, figure):
    response = admin_client.post(
        reverse("admin:stats_figure_add"), figure_form(figure, period_end="2024-12-17", value=766000)
    )
    assert response.status_code == 302
    assert [m for m in get_messages(response.wsgi_request) if m.level_tag == "warning"] == []


def inline_form(report, rows: list[dict]) -> dict:
    data = {
        "title": report.title, "url": report.url or "", "archived_url": "", "publisher": "",
        "published_on": report.published_on.isoformat(), "language": "en", "summary": "",
        "figures-TOTAL_FORMS": str(len(rows)), "figures-INITIAL_FORMS": "0",
        "figures-MIN_NUM_FORMS": "0", "figures-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"figures-{index}-{field}": value for field, value in row.items()})
    return data


def test_figures_added_inline_on_a_new_report_are_checked_against_it(admin_client, figure):
    new_report = ReportFactory.build(published_on=datetime.date(2024, 12, 10), url="https://example.org/new")
    row = figure_form(figure)
    del row["report"]
    response = admin_client.post(reverse("admin:stats_report_add"), inline_form(new_report, [row]))
    assert response.status_code == 200
    assert "The period cannot end after the report was published (2024-12-10)." in response.content.decode()
    assert Figure.objects.count() == 1


def test_two_identical_inline_figures_are_a_form_error(admin_client, figure):
    new_report = ReportFactory.build(url="https://example.org/twice")
    row = figure_form(figure)
    del row["report"]
    response = admin_client.post(reverse("admin:stats_report_add"), inline_form(new_report, [row, row]))
    assert response.status_code == 200
    assert DUPLICATE_CLAIM_MESSAGE in response.content.decode()
    assert Figure.objects.count() == 1


def test_inline_figures_save_with_their_new_report_and_warn_when_lower(admin_client, figure):
    new_report = ReportFactory.build(url="https://example.org/lower")
    row = figure_form(figure, value=700000, period_end="2024-12-17")
    del row["report"]
    response = admin_client.post(reverse("admin:stats_report_add"), inline_form(new_report, [row]))
    assert response.status_code == 302
    assert Figure.objects.get(report__url="https://example.org/lower").value == 700000
    warnings = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
    assert len(warnings) == 1
    assert warnings[0].startswith("The cumulative figure 700,000 (to 2024-12-17) is lower")


def test_the_history_page_shows_who_changed_a_figure(admin_client, admin_user, figure):
    admin_client.post(reverse("admin:stats_figure_change", args=[figure.pk]), figure_form(figure, value=765111))
    assert figure.history.first().history_user == admin_user
    response = admin_client.get(reverse("admin:stats_figure_history", args=[figure.pk]))
    assert admin_user.username in response.content.decode()


def test_the_admin_locks_out_an_address_after_five_failed_sign_ins(client, curator):
    def sign_in(password, address="81.2.69.160"):
        return client.post("/admin/login/", {"username": curator.username, "password": password, "next": "/admin/"},
                           REMOTE_ADDR=address)

    for _ in range(4):
        assert sign_in("wrong").status_code == 200  # the form again, with its error
    assert sign_in("wrong").status_code == 429  # the fifth failure locks the address out
    refused = sign_in("a-long-curator-password")  # the right password, too late
    assert refused.status_code == 429
    assert b"locked" in refused.content.lower()
    # Another address may still sign in with the right password; the failures are counted in the database.
    assert sign_in("a-long-curator-password", address="89.160.20.112").status_code == 302
    # The refused attempt is not counted: otherwise a guesser could prolong a lockout for ever.
    assert AccessAttempt.objects.get(ip_address="81.2.69.160").failures_since_start == 5


def sign_in(client, curator, password="wrong", **headers):
    return client.post("/admin/login/", {"username": curator.username, "password": password, "next": "/admin/"},
                       **headers)


def test_without_trusted_proxies_a_forged_forwarded_for_does_not_escape_the_lockout(client, curator, settings):
    settings.TRUSTED_PROXIES = []
    for attempt in range(5):
        sign_in(client, curator, HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}", REMOTE_ADDR="203.0.113.9")
    refused = sign_in(client, curator, "a-long-curator-password", HTTP_X_FORWARDED_FOR="198.51.100.77",
                      REMOTE_ADDR="203.0.113.9")
    assert refused.status_code == 429
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.9"]


def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(client, curator, settings):
    import ipaddress

    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    for _ in range(5):
        sign_in(client, curator, HTTP_X_FORWARDED_FOR="198.51.100.1, 10.0.0.3", REMOTE_ADDR="10.0.0.2")
    assert sign_in(client, curator, "a-long-curator-password", HTTP_X_FORWARDED_FOR="198.51.100.1",
                   REMOTE_ADDR="10.0.0.2").status_code == 429
    assert sign_in(client, curator, "a-long-curator-password", HTTP_X_FORWARDED_FOR="198.51.100.2",
                   REMOTE_ADDR="10.0.0.2").status_code == 302
    assert AccessAttempt.objects.get().ip_address == "198.51.100.1"


def test_a_malformed_forwarded_for_is_no_error(client, curator, settings):
    import ipaddress

    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    response = sign_in(client, curator, HTTP_X_FORWARDED_FOR="not-an-ip", REMOTE_ADDR="10.0.0.2")
    assert response.status_code == 200
    assert AccessAttempt.objects.get().ip_address == "10.0.0.2"


def read_version(page) -> str:
    """Return the version a change form was read at, as the page carries it to the save."""
    return re.search(r'name="_read_version" value="([^"]+)"', page.content.decode()).group(1)


def test_a_change_form_saved_after_another_curator_changed_the_figure_is_refused_naming_the_change(
    client, curator, figure
):
    client.force_login(curator)
    url = reverse("admin:stats_figure_change", args=[figure.pk])
    version = read_version(client.get(url))
    bob = api_as(curator_named("bob"))
    assert bob.patch(f"/api/v1/figures/{figure.pk}/", {"notes": "Read from the table."}, format="json").status_code == 200
    response = client.post(url, {**figure_form(figure, value=765200), "_read_version": version})
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(
        r"Nothing was saved: since you opened this form, bob changed notes at \d\d:\d\d:\d\d UTC\. Reload the page to "
        r"see the figure as it is now, then make your change again\.", page,
    )
    assert read_version(response) == version  # saving again is refused again: the form shows what it was read at
    figure.refresh_from_db()
    assert (figure.value, figure.notes) == (765110, "Read from the table.")
    # Reopened, the form carries the new version and saves.
    fresh = client.get(url)
    assert read_version(fresh) != version
    response = client.post(url, {**figure_form(figure, value=765200, notes=figure.notes),
                                 "_read_version": read_version(fresh)})
    assert response.status_code == 302
    figure.refresh_from_db()
    assert (figure.value, figure.notes) == (765200, "Read from the table.")


def test_a_change_form_opened_before_its_text_was_redacted_cannot_put_the_text_back(client, curator):
    # The redaction rewrites the revisions that held the words, then saves the row with the redacted text: its own
    # revision differs in nothing from the (redacted) one before, yet a form opened before it still holds the words.
    from stats.redactions import revision_redact

    figure = FigureFactory(notes="Call Jane Doe at +380 555 0101")
    client.force_login(curator)
    url = reverse("admin:stats_figure_change", args=[figure.pk])
    opened = client.get(url)
    version = read_version(opened)
    assert "Jane Doe" in opened.content.decode()
    redactor = curator_named("bob")
    revision = Figure.history.get(id=figure.pk).history_id
    revision_redact(model=Figure, revision=revision, fields=["notes"], reason="personal data", user=redactor)
    stale = figure_form(figure, value=765200, notes="Call Jane Doe at +380 555 0101")  # the form as it was opened
    response = client.post(url, {**stale, "_read_version": version})
    assert response.status_code == 200
    assert re.search(r"since you opened this form, bob redacted the text at \d\d:\d\d:\d\d UTC\.",
                     response.content.decode())
    figure.refresh_from_db()
    assert figure.notes.endswith(": personal data") and figure.value != 765200
    assert not Figure.history.filter(id=figure.pk, notes__contains="Jane Doe").exists()


def test_a_change_form_is_not_refused_for_a_change_of_what_the_figure_only_shows(admin_client, figure):
    url = reverse("admin:stats_figure_change", args=[figure.pk])
    version = read_version(admin_client.get(url))
    source_url = reverse("admin:stats_source_change", args=[figure.claimed_by_id])
    source = figure.claimed_by
    renamed = {"slug": source.slug, "name": "Renamed", "kind": source.kind, "country": "", "affiliation": "",
               "url": "", "description": "", "_read_version": read_version(admin_client.get(source_url))}
    assert admin_client.post(source_url, renamed).status_code == 302  # the figure is touched (its citation changed)
    response = admin_client.post(url, {**figure_form(figure, value=765200), "_read_version": version})
    assert response.status_code == 302
    assert Figure.objects.get(pk=figure.pk).value == 765200


def test_a_report_form_is_refused_when_a_figure_it_edits_inline_changed_since_it_was_opened(admin_client, figure):
    report = figure.report
    url = reverse("admin:stats_report_change", args=[report.pk])
    version = read_version(admin_client.get(url))
    bob = api_as(curator_named("bob"))
    assert bob.patch(f"/api/v1/figures/{figure.pk}/", {"notes": "Read from the table."}, format="json").status_code == 200
    row = {**figure_form(figure, value=765200), "id": figure.pk, "report": report.pk}
    data = {**inline_form(report, [row]), "figures-INITIAL_FORMS": "1", "_read_version": version}
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert f"since you opened this form, bob changed notes of figure {figure.pk} at" in response.content.decode()
    figure.refresh_from_db()
    assert (figure.value, figure.notes) == (765110, "Read from the table.")


@pytest.mark.django_db(transaction=True)
def test_a_change_form_saved_while_another_curator_writes_the_figure_waits_and_is_refused(client):
    # Bob's PATCH holds the row (locked, about to save) when Alice saves the form she opened before it: her save
    # waits for his to commit, then sees it.
    require_postgresql()
    figure = FigureFactory(notes="")
    client.force_login(curator_named("alice"))
    url = reverse("admin:stats_figure_change", args=[figure.pk])
    version = read_version(client.get(url))
    bob = api_as(curator_named("bob"))
    bob_answer, alice_answer = race(
        Figure,
        partial(bob.patch, f"/api/v1/figures/{figure.pk}/", {"notes": "Read from the table."}, format="json"),
        partial(client.post, url, {**figure_form(figure, value=765200), "_read_version": version}),
    )
    assert (bob_answer.status_code, alice_answer.status_code) == (200, 200)
    assert "since you opened this form, bob changed notes at" in alice_answer.content.decode()
    figure.refresh_from_db()
    assert (figure.value, figure.notes) == (765110, "Read from the table.")
