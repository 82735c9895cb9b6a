"""The `estimates` feed: others' estimates and claims of soldiers killed and wounded, compiled by The Economist.

The origin is `Soldier deaths_casualties in Ukraine - estimates.csv` in The Economist's repository: one row per
figure, dated D/M/YYYY, its claimant a free-text `source` label. The rules of fixtures/README.md (section 04) carry
over: the 34 "UK MoD" rows repeating the monthly chart's running sums and the misdated General Staff row are dropped;
labels are mapped to sources (`CLAIMANTS`), except where the report's address names who spoke (`SPEAKERS`: GCHQ's
lecture, the UK's statements to the OSCE), the claimant whatever the label; two pairs of rows are re-dated to their
report's day (`REDATED`); the basis, the qualifier and the band follow the table's flags and ranges; one report per
address, published on the day its address (or its x.com ID) gives, else on the figure's date.

Each row also carries `label`, the compiler's label normalised (surrounding whitespace stripped, inner runs of it one
space). A label not in `CLAIMANTS` is yielded with `claimed_by` "" (the engine holds it until a curator maps the label
to a source); its report title names the label itself, and its publisher is read from the address's host as for any
row ("" for a host not in `PUBLISHERS`, the host itself then naming the outlet in the title).

The key is the label, party, category, the day counted to and the row's address: the day is `period_end`, so after
re-dating (a date the compiler corrects to the report's day keeps its key), the address is `report_url` (the
compiler's address without tracking parameters, as a URI; "" for a live page or an emailed estimate). A rewrite only
in form (`01/12/2025` as `1/12/2025`, CRLF lines in an LF file, a trailing space in a label) gives identical rows and
keys.
"""

import datetime
import re
from collections import defaultdict
from urllib.parse import urlsplit

from stats.addresses import as_uri
from stats.sync.feeds import Origin, Unreadable

from .common import count, csv_rows, day_words, figure, split_address, x_post_day

COLUMNS = ("date", "estimate_low", "estimate_high", "estimate", "type", "source", "source_url", "country",
           "ignore for chart, data from warring parties")
PARTIES = {"russia": "russia-armed-forces", "ukraine": "ukraine-armed-forces"}
CATEGORIES = {"deaths": "killed", "casualties": "total"}
PARTY_ADJECTIVES = {"russia-armed-forces": "Russian", "ukraine-armed-forces": "Ukrainian"}

# The compiler's `source` spellings, merged into one claimant per body.
CLAIMANTS = {
    "Armed Forces of Ukraine": "ukraine-general-staff",
    "Russian Ministry of Defense": "russia-mod",
    "Office of the President of Ukraine": "ukraine-president-office",
    "Ukrainian estimate (leak via WSJ)": "ukraine-government-leak",
    "UK MoD": "uk-mod",
    "UK Ministry of Defence": "uk-mod",
    "UK Foreign ministry": "uk-fcdo",
    "US officials (via NYT)": "us-officials",
    "US officials (via The Economist)": "us-officials",
    "CIA": "us-cia",
    "US DoD": "us-dod",
    "US Sec of Def": "us-dod",
    "Pentagon leak": "pentagon-leak",
    "US intelligence services": "us-intelligence-community",
    "NATO officials (via WP)": "nato-officials",
    "NATO officials (via media24)": "nato-officials",
    "NATO nations (via NYT)": "nato-officials",
    "Western intelligence agencies (via WSJ)": "western-intelligence",
    "French foreign minister": "france-foreign-minister",
    "Norwegian Defense Intelligence": "norway-intelligence-service",
    "Dutch Military Intelligence and Security Service (MIVD)": "netherlands-mivd",
    "Dutch Military Intelligence and Security Service (MIVD; note, timing clarified via email)": "netherlands-mivd",
    "CSIS": "csis",
    "The Centre for Strategic and International Studies": "csis",
    "IISS": "iiss",
    "Excess deaths estimate (D. Kobak)": "dmitry-kobak",
    "Mediazona; Meduza": "mediazona-meduza",
    "Mediazona; Meduza (cumulative)": "mediazona-meduza",
    "BBC Russia": "bbc-russian",
    "The Memory Book": "memory-book",
    "UAlosses": "ualosses",
    "Lostarmour": "lostarmour",
    "Yurii Butosov": "yurii-butusov",
}
# Reports whose address names who spoke, whatever label the compiler files them under: (address, claimant, why).
SPEAKERS = [
    (
        re.compile(r"^https://www\.gchq\.gov\.uk/speech/"),
        "uk-gchq",
        "The report is GCHQ's annual lecture of 2026 (its address): the claimant is GCHQ, which is not part of the "
        "Ministry of Defence; The Economist's table files the figure under \"{label}\".",
    ),
    (
        re.compile(r"^https://www\.gov\.uk/government/speeches/[^?#]*uk-statement-to-the-osce"),
        "uk-fcdo",
        "The report is a UK statement to the OSCE (its address), delivered by the UK's delegation to the OSCE, a "
        "mission of the Foreign, Commonwealth and Development Office, which publishes it on gov.uk: the claimant is "
        "the FCDO, as for every UK statement to the OSCE; The Economist's table files the figure under \"{label}\".",
    ),
]
# Short names for report titles.
LABELS = {
    "ukraine-general-staff": "General Staff of Ukraine",
    "russia-mod": "Russian Ministry of Defence",
    "ukraine-president-office": "Office of the President of Ukraine",
    "ukraine-government-leak": "a confidential Ukrainian estimate",
    "uk-mod": "UK Ministry of Defence",
    "uk-fcdo": "UK Foreign Office",
    "uk-gchq": "GCHQ",
    "us-officials": "US officials",
    "us-cia": "CIA",
    "us-dod": "US Department of Defense",
    "pentagon-leak": "leaked Pentagon documents",
    "us-intelligence-community": "US intelligence community",
    "nato-officials": "NATO officials",
    "western-intelligence": "Western intelligence agencies",
    "france-foreign-minister": "French foreign minister",
    "norway-intelligence-service": "Norwegian Intelligence Service",
    "netherlands-mivd": "Dutch Military Intelligence and Security Service",
    "csis": "CSIS",
    "iiss": "IISS",
    "dmitry-kobak": "Dmitry Kobak",
    "mediazona-meduza": "Mediazona and Meduza",
    "bbc-russian": "BBC News Russian",
    "memory-book": "Memory Book",
    "ualosses": "UALosses",
    "lostarmour": "LostArmour",
    "yurii-butusov": "Yurii Butusov",
    "the-economist": "The Economist",
}
# Where a report was printed, by the address's host: the outlet, or the claimant's own site or account.
PUBLISHERS = {
    "tass.com": "tass",
    "x.com": "uk-mod",  # every post here is @DefenceHQ's
    "twitter.com": "uk-mod",
    "www.economist.com": "the-economist",
    "www.reuters.com": "reuters",
    "www.nytimes.com": "new-york-times",
    "www.ukrinform.net": "ukrinform",
    "www.csis.org": "csis",
    "euromaidanpress.com": "euromaidan-press",
    "github.com": "dmitry-kobak",  # his own repository (github.com/dkobak), the Source's own address
    "www.foreignaffairs.com": "foreign-affairs",
    "ualosses.org": "ualosses",
    "www.france24.com": "france24",
    "www.gov.uk": "uk-fcdo",  # both addresses are UK statements to the OSCE, which the FCDO's delegation delivers
    "www.gchq.gov.uk": "uk-gchq",
    "www.defense.gov": "us-dod",
    "www.bbc.com": "bbc-russian",
    "www.wsj.com": "wall-street-journal",
    "ukdefencejournal.org.uk": "uk-defence-journal",
    "www.iiss.org": "iiss",
    "www.etterretningstjenesten.no": "norway-intelligence-service",
    "meduza.io": "mediazona-meduza",
    "www.dni.gov": "us-intelligence-community",
    "www.washingtonpost.com": "washington-post",
    "www.defensie.nl": "netherlands-mivd",
    "united24media.com": "united24-media",
    # Not a source of ours: the report has no publisher.
    "www.msn.com": "",
    "www.armed-services.senate.gov": "",
}
PUBLISHER_NAMES = {
    "tass": "TASS",
    "uk-mod": "UK Ministry of Defence",
    "the-economist": "The Economist",
    "reuters": "Reuters",
    "new-york-times": "The New York Times",
    "ukrinform": "Ukrinform",
    "csis": "CSIS",
    "euromaidan-press": "Euromaidan Press",
    "dmitry-kobak": "Dmitry Kobak on GitHub",
    "foreign-affairs": "Foreign Affairs",
    "france24": "France 24",
    "uk-fcdo": "UK Foreign Office on gov.uk",
    "uk-gchq": "GCHQ",
    "us-dod": "US Department of Defense",
    "bbc-russian": "BBC News Russian",
    "wall-street-journal": "The Wall Street Journal",
    "uk-defence-journal": "UK Defence Journal",
    "iiss": "IISS",
    "norway-intelligence-service": "Norwegian Intelligence Service",
    "mediazona-meduza": "Meduza",
    "us-intelligence-community": "US Office of the Director of National Intelligence",
    "washington-post": "The Washington Post",
    "netherlands-mivd": "Dutch Ministry of Defence (MIVD annual report)",
    "united24-media": "United24 Media",
}
OUTLETS_WITHOUT_SOURCE = {
    "www.msn.com": "MSN",
    "www.armed-services.senate.gov": "US Senate Armed Services Committee",
}

# The 34 rows that repeat The Economist's running sums of the monthly chart (uk-mod-monthly.csv), not a figure.
MONTHLY_CHART = "https://x.com/DefenceHQ/status/1876584633103507960/photo/2"
MONTHLY_SUMS_DROPPED = 34
# The General Staff's report of 2024-02-06 (390,580), dated 16/01/2024 by the compiler: already in 03.
MISDATED_GENERAL_STAFF = ("Armed Forces of Ukraine", datetime.date(2024, 1, 16), "390580")
# Rows whose date is later than their report's: the date they are given, and why.
REDATED = {
    ("NATO officials (via WP)", datetime.date(2022, 4, 23)): (
        datetime.date(2022, 3, 24),
        "The Economist dates this figure 23 April 2022, a month after the Washington Post article it cites "
        "(24 March 2022, in its address): it is dated to the article's day.",
    ),
    ("Western intelligence agencies (via WSJ)", datetime.date(2024, 11, 19)): (
        datetime.date(2024, 9, 17),
        "The Economist dates this figure 19 November 2024, but its address is The Wall Street Journal's article "
        "of 17 September 2024, which gave these Western intelligence estimates: it is dated to the article's day.",
    ),
}
# Publication days known otherwise than from the address, and how.
PUBLISHED_ON = {
    "https://www.wsj.com/world/one-million-are-now-dead-or-injured-in-the-russia-ukraine-war-b09d04e5": (
        datetime.date(2024, 9, 17),
        "The article was published on 17 September 2024: The Economist dates the Ukrainian estimate it reported "
        "that day, and other outlets reported the article the same day.",
    ),
}
# A date in the address: /2022/07/24/, -2022-07-20/, /20240503-.
ADDRESS_DAY = [
    re.compile(r"/(?P<year>20\d\d)/(?P<month>\d\d)/(?P<day>\d\d)/"),
    re.compile(r"-(?P<year>20\d\d)-(?P<month>\d\d)-(?P<day>\d\d)/"),
    re.compile(r"/(?P<year>20\d\d)(?P<month>\d\d)(?P<day>\d\d)-"),
]
ADDRESS_MONTH = re.compile(r"/(?P<year>20\d\d)/(?P<month>\d\d)/")
# A live page, not a dated publication: each figure is a report of its own, without an address.
LIVE_PAGES = ("https://ualosses.org/",)
EMAILED = "(new to this piece, via email from Alexandr at Meduza)"


def convert(body: bytes, origin: Origin) -> list[dict]:
    """Return the figures of one version of the compilation, in the order of their dates."""
    readings = [reading(row) for row in kept(csv_rows(body, COLUMNS))]
    reports = reports_by_address(readings)
    figures = [estimate_figure(one, reports) for one in readings]
    figures.sort(key=lambda row: (row["period_end"], row["report_published_on"], row["report_url"], row["claimed_by"],
                                  row["party"], row["category"]))
    return figures


def key(row: dict) -> str:
    return "|".join((row["label"], row["party"], row["category"], row["period_end"], row["report_url"]))


def normalised(label: str) -> str:
    return " ".join(label.split())


def compiler_day(text: str) -> datetime.date:
    """Return the compiler's D/M/YYYY date (leading zeros optional)."""
    try:
        day, month, year = (int(part) for part in text.strip().split("/"))
        return datetime.date(year, month, day)
    except ValueError as error:
        raise Unreadable(f"{text!r} is not a date (D/M/YYYY)") from error


def kept(rows: list[dict]):
    """Yield the rows that are figures: not the monthly chart's running sums, not the misdated General Staff row."""
    for row in rows:
        label, day = normalised(row["source"]), compiler_day(row["date"])
        if label == "UK MoD" and row["source_url"].strip() == MONTHLY_CHART and day.day == 1:
            continue
        if (label, day, row["estimate"].strip()) == MISDATED_GENERAL_STAFF:
            continue
        yield row, label, day


def reading(kept_row: tuple[dict, str, datetime.date]) -> dict:
    """Return what one row says, before its report is known: its label, claimant, day, address and notes."""
    row, label, day = kept_row
    where = f"the row of {label!r} dated {row['date']}"
    if row["country"] not in PARTIES or row["type"] not in CATEGORIES:
        raise Unreadable(f"{where}: unknown country {row['country']!r} or type {row['type']!r}")
    address, address_note = split_address(row["source_url"])
    notes = [f'The Economist\'s table names the source "{label}".']
    if label.endswith("; note, timing clarified via email)"):
        notes.append("The Economist notes that the timing was clarified by email.")
    period_end = day
    if (label, day) in REDATED:
        period_end, why = REDATED[label, day]
        notes.append(why)
    if address_note == EMAILED:
        notes.append(f'The Economist\'s table gives no address but the note "{address_note}".')
    elif address_note:
        note = address_note.strip("()").removeprefix("note, ")
        notes.append(f'The Economist\'s note beside the address: "{note}".')
    try:
        low, high, point = count(row["estimate_low"]), count(row["estimate_high"]), count(row["estimate"])
    except Unreadable as error:
        raise Unreadable(f"{where}: {error}") from error
    if (low, high, point) == (None, None, None):
        raise Unreadable(f"{where}: no estimate, low or high")
    return {"row": row, "label": label, "claimant": claimant_of(label, address), "period_end": period_end,
            "address": address, "address_note": address_note, "notes": notes, "numbers": (low, high, point)}


def claimant_of(label: str, address: str) -> str:
    """Return the source who spoke: the one the report's address names, else the one the compiler's label maps to."""
    for pattern, claimant, _ in SPEAKERS:
        if pattern.match(address):
            return claimant
    return CLAIMANTS.get(label, "")


def reports_by_address(readings: list[dict]) -> dict[str, dict]:
    """Return one report per address, holding every figure it gives: its publisher, date and title are the same."""
    by_address = defaultdict(list)
    for one in readings:
        if one["address"] and not one["address"].startswith(LIVE_PAGES):
            by_address[one["address"]].append(one)
    reports = {}
    for address, group in by_address.items():
        publisher = PUBLISHERS.get(urlsplit(address).hostname or "", "")
        published_on, date_note = publication(address, {one["period_end"] for one in group})
        parties = {PARTIES[one["row"]["country"]] for one in group}
        claimants = {(one["claimant"], one["label"]) for one in group}
        reports[address] = {
            "report_title": title(address, publisher, published_on, parties, claimants),
            "report_url": as_uri(address),
            "report_published_on": published_on,
            "publisher": publisher,
            "date_note": date_note,
        }
    return reports


def claimant_name(claimant: str, label: str) -> str:
    """Return a source's short name for a title; the compiler's label for a label not mapped to a source."""
    return LABELS[claimant] if claimant else label


def own_report(one: dict) -> dict:
    """Return the report of a figure without an address of its own: a live page's reading or an emailed estimate."""
    period_end, address = one["period_end"], one["address"]
    if address:
        one["notes"].append(f"The address, {address}, is UALosses' live list of the fallen, not a dated publication: "
                            "each figure is a report of its own, dated by The Economist's table.")
        return {
            "report_title": f"UALosses, list of fallen Ukrainian soldiers (ualosses.org), as of "
                            f"{day_words(period_end)}",
            "report_url": "",
            "report_published_on": period_end,
            "publisher": "ualosses",
        }
    one["notes"].append("Made public by The Economist; when is not known: the figure's date is given as the "
                        "report's publication day (the earliest it can be).")
    how = "estimate sent to The Economist by email" if one["address_note"] == EMAILED else (
        "estimate in The Economist's table without an address")
    return {
        "report_title": f"{claimant_name(one['claimant'], one['label'])}, {how} (to {day_words(period_end)})",
        "report_url": "",
        "report_published_on": period_end,
        "publisher": "the-economist",
    }


def estimate_figure(one: dict, reports: dict[str, dict]) -> dict:
    """Return the figure of one row, under its report."""
    row, label, claimant, period_end = one["row"], one["label"], one["claimant"], one["period_end"]
    notes = one["notes"]
    if one["address"] and not one["address"].startswith(LIVE_PAGES):
        report = reports[one["address"]]
        if report["date_note"]:
            notes.append(report["date_note"])
    else:
        report = own_report(one)
    notes.extend(special_notes(label, one["address"]))
    low, high, point = one["numbers"]
    basis = basis_of(row, claimant, point)
    if point is not None:
        value = point
        qualifier = point_qualifier(one["address"], basis)
        if qualifier == "at_least":
            notes.append('The report\'s headline, in its address, says "over": the value is a lower bound.')
    elif low is not None:
        value, qualifier = low, "at_least"
        notes.append(
            f"The Economist's table gives a range ({low:,} to {high:,}) without a central figure: the value is "
            "its low end." if high is not None else
            "The Economist's table gives only a low end: the value is a lower bound."
        )
    else:
        value, qualifier = high, "at_most"
        notes.append("The Economist's table gives only a high end: the value is an upper bound.")
    if period_end > report["report_published_on"]:
        raise Unreadable(f"the row of {label!r} dated {row['date']} counts to {period_end}, past its report's day "
                         f"({report['report_published_on']}): it needs a re-dating rule")
    return {
        **figure(
            conflict="russia-ukraine",
            party=PARTIES[row["country"]],
            category=CATEGORIES[row["type"]],
            claimed_by=claimant,
            value=value,
            value_low=low,
            value_high=high,
            qualifier=qualifier,
            basis=basis,
            period_end=period_end.isoformat(),
            date_precision="day",
            report_title=report["report_title"],
            report_url=report["report_url"],
            report_published_on=report["report_published_on"].isoformat(),
            publisher=report["publisher"],
            notes=" ".join(notes),
            dataset="economist-ukraine-estimates",
        ),
        "label": label,
    }


def publication(address: str, dates: set[datetime.date]) -> tuple[datetime.date, str]:
    """Return the day the report at `address` was published and, where it is a guess, a note saying so."""
    posted = x_post_day(address)
    if posted:
        return posted, ""
    if address in PUBLISHED_ON:
        return PUBLISHED_ON[address]
    for pattern in ADDRESS_DAY:
        if match := pattern.search(address):
            return address_day(address, match), ""
    if match := ADDRESS_MONTH.search(address):
        first = address_day(address, match, day=1)
        return first, (
            f"The report's address dates it to {first:%B %Y}; the day is not known: {day_words(first)}, the "
            "earliest it can be, is given as its publication day."
        )
    if len(dates) != 1:
        raise Unreadable(f"{address}: figures of several dates and no publication day")
    (only,) = dates
    return only, (
        f"The report's publication day is not known: the figure's date in The Economist's table, "
        f"{day_words(only)}, is given as its publication day (the earliest it can be)."
    )


def address_day(address: str, match: re.Match, day: int | None = None) -> datetime.date:
    try:
        return datetime.date(int(match["year"]), int(match["month"]), day or int(match["day"]))
    except ValueError as error:
        raise Unreadable(f"{address}: the date in the address is not a day") from error


def title(address: str, publisher: str, published_on: datetime.date, parties: set, claimants: set) -> str:
    """Return a plain descriptive title for a report (we do not have the real titles)."""
    host = urlsplit(address).hostname or ""
    if host in ("x.com", "twitter.com"):
        return f"{PUBLISHER_NAMES[publisher]} on {host}, {day_words(published_on)}"
    outlet = PUBLISHER_NAMES[publisher] if publisher else OUTLETS_WITHOUT_SOURCE.get(host, host)
    adjectives = " and ".join(PARTY_ADJECTIVES[party] for party in sorted(parties))
    text = f"{outlet}, {day_words(published_on)}: {adjectives} military losses"
    others = sorted({claimant_name(claimant, label) for claimant, label in claimants
                     if not claimant or claimant != publisher}, key=str.lower)
    return f"{text} ({', '.join(others)})" if others else text


def basis_of(row: dict, claimant: str, point: int | None) -> str:
    """Return `claimed` for a warring party's own public figure, `confirmed` for a count of named dead."""
    if row["ignore for chart, data from warring parties"] == "yes":
        return "claimed"
    named_counts = claimant in ("memory-book", "ualosses")
    single = point is not None or not (row["estimate_low"] and row["estimate_high"])
    return "confirmed" if named_counts and single else "estimated"


def point_qualifier(address: str, basis: str) -> str:
    """Return the hedge of a central figure: the report's own "over" where its address says so."""
    if "/over-" in address or "-over-" in address:
        return "at_least"
    return "exact" if basis == "confirmed" else "approximately"


def special_notes(source: str, address: str) -> list[str]:
    """Return what a curator should know about a row whose source or address is unusual."""
    notes = []
    host = urlsplit(address).hostname or ""
    if source == "US Sec of Def":
        notes.append("The Secretary of Defense speaks for the Department of Defense.")
    if source == "NATO nations (via NYT)":
        notes.append("Officials of NATO's member states, recorded as NATO officials.")
    if source == "Yurii Butosov":
        notes.append("The name is Butusov (The Economist's table misspells it).")
    if source.startswith("Mediazona; Meduza") or source == "BBC Russia":
        notes.append("A modelled estimate, not the count of names.")
    if source == "UAlosses":
        notes.append("UAlosses counts named dead; where it gives a range, the low end counts the dead and the high "
                     "end the dead and missing.")
    if source == "Ukrainian estimate (leak via WSJ)":
        notes.append("A confidential estimate reported by The Wall Street Journal, not a public statement: "
                     "The Economist does not mark it as a warring party's figure.")
    notes.extend(why.format(label=source) for pattern, _, why in SPEAKERS if pattern.match(address))
    if host == "www.armed-services.senate.gov":
        notes.append("The address is General Cavoli's (US European Command) opening statement to the Senate Armed "
                     "Services Committee; The Economist names the US Department of Defense.")
    if host == "www.msn.com":
        notes.append("The address is a news article on msn.com reporting the Secretary of Defense's words.")
    return notes
