"""The per-day notes Tech for Palestine keeps beside its West Bank and Lebanon compilations.

Each day's `source_data/<area>-daily/DATE.md` is the compiler's source file for that day: YAML front matter with the
figures it took from the report, then the report's address and, at times, its words. The West Bank and Lebanon feeds
read a day's note only for that day (one `origin.read("note", date=…)` per day they need), so that the sync may fetch
the new days' notes alone. Here too: what a note's address and link tell of the report (the kind, number and
publication date of OCHA's updates; the Lebanese ministry's headlines), for the report's fields and the notes' words.
"""

import datetime
import re
from dataclasses import dataclass

import yaml

from stats.sync.feeds import Origin, Unreadable

# libyaml's safe loader when PyYAML was built with it (ten times faster on 450 notes), else the pure-Python one.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
FRONT_MATTER = re.compile(r"---\n(.*?)\n---\n?(.*)", re.DOTALL)
ADDRESS = re.compile(r"https?://[^\s<>\"')\]]+")


@dataclass(frozen=True)
class Note:
    front_matter: dict
    body: str

    def reported(self, field: str):
        """Return the value the note's front matter gives for `field`, or None where it gives none (or an empty one)."""
        value = self.front_matter.get(field)
        return None if value == "" else value


def read_note(origin: Origin, date: str) -> Note | None:
    """Return the note of `date`, or None when it cannot be read now (the rows then come without what it adds).

    A note that is there but cannot be parsed refuses the version, as any other unreadable part of it would.
    """
    data = origin.read("note", date=date)
    if data is None:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Unreadable(f"the note of {date} is not UTF-8 ({error.reason})") from error
    match = FRONT_MATTER.match(text)
    if not match:
        raise Unreadable(f"the note of {date} does not start with front matter (---)")
    try:
        front_matter = yaml.load(match.group(1), Loader=SAFE_LOADER)
    except yaml.YAMLError as error:
        raise Unreadable(f"the note of {date} has front matter that is not YAML") from error
    if not isinstance(front_matter, dict):
        raise Unreadable(f"the note of {date} has front matter that is not a mapping")
    return Note(front_matter, match.group(2))


def first_address(body: str, skipping: tuple[str, ...] = ()) -> str:
    """Return the first web address in a note's body (none starting with `skipping`), without a sentence's last
    punctuation."""
    for match in ADDRESS.finditer(body):
        if not match.group().startswith(skipping):
            return match.group().rstrip(".,;")
    return ""


def day_words(day: datetime.date) -> str:
    """Return a day as words, like "15 January 2024"."""
    return f"{day.day} {day:%B} {day.year}"


def day_in_address(words: str, address: str) -> datetime.date:
    """Return the day an address writes in words ("19-march-2026"), refusing the version when it is no day."""
    try:
        return datetime.datetime.strptime(words, "%d-%B-%Y").date()
    except ValueError:
        raise Unreadable(f"{words!r} in the note's address {address} is not a day") from None


# West Bank: OCHA's updates, known by their addresses.
FLASH_UPDATE = re.compile(r"flash-update-(\d+)$")
SITUATION_UPDATE = re.compile(r"humanitarian-situation-update-(\d+)-(.+)$")
SITUATION_REPORT = re.compile(r"humanitarian-situation-report-(\d{1,2}-[a-z]+-\d{4})$")
AREAS = {"west-bank": "West Bank", "gaza-strip-west-bank": "Gaza Strip and West Bank"}


def last_segment(address: str) -> str:
    """Return the last part of an address's path, its fragment left out."""
    return address.split("#")[0].rstrip("/").rsplit("/", 1)[-1]


def update_report(address: str, day: datetime.date) -> tuple[str, datetime.date, str]:
    """Return the title, the publication date and a note on dates for OCHA's update of `day` at `address`."""
    segment = last_segment(address)
    if match := FLASH_UPDATE.search(segment):
        return f"OCHA Flash Update #{match[1]} (Gaza Strip and Israel), {day_words(day)}", day, ""
    if match := SITUATION_UPDATE.search(segment):
        area = AREAS.get(match[2], match[2])
        note = (
            " The update's reporting period ends on this day; its publication date is not in the compiler's file, "
            "so the report's date is that day, the earliest it can have been published."
        )
        return f"OCHA Humanitarian Situation Update #{match[1]} ({area})", day, note
    if match := SITUATION_REPORT.search(segment):
        published_on = day_in_address(match[1], address)
        note = (
            f" Published on {day_words(published_on)} (the date in its address); its West Bank section counts up to "
            f"{day_words(day)}, the end of its reporting period (the compiler's date)."
        )
        title = f"OCHA Humanitarian Situation Report of {day_words(published_on)} (West Bank section)"
        return title, published_on, note
    if not address:
        note = " The compiler marks this day as an OCHA report (flash_source un) but records no address."
        return f"OCHA report of {day_words(day)} on the West Bank (address not recorded)", day, note
    raise Unreadable(f"{day}: the note's address is an OCHA report of an unknown kind: {address}")


# Lebanon: the ministry's statements (their headlines in the link's words) and OCHA's flash updates relaying them.
LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
# A link to the ministry's list of earlier statements, not to the statement itself.
NOT_THE_REPORT = ("https://rb.gy/",)
DATE_IN_ADDRESS = re.compile(r"(\d{1,2}-[a-z]+-\d{4})$")
FLASH_UPDATE_NUMBER = re.compile(r"Flash Update #(\d+)")


def path_end(address: str) -> str:
    """Return the last part of an address's path (or of its fragment, for a page that routes by fragment)."""
    return address.rstrip("/").rsplit("/", 1)[-1]


def slug(text: str) -> str:
    """Return `text` as the words of a web address: lower case, hyphens between words."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def address_and_headline(body: str) -> tuple[str, str]:
    """Return the report's address in a note's body and the words of its link, when it has them."""
    if match := LINK.search(body):
        return match[2], match[1]
    return first_address(body, skipping=NOT_THE_REPORT), ""


def headline_of_page(headline: str, address: str) -> bool:
    """Return whether the link's words are the page's own headline: its address is made of them (maybe cut)."""
    segment = path_end(address).strip("-")
    # Older pages write "2,710" as "2-710" in their address, newer ones as "2710".
    spellings = {slug(headline), slug(headline.replace(",", ""))}
    return bool(segment) and any(words.startswith(segment) or segment.startswith(words) for words in spellings)


def numbers_in(text: str) -> set[int]:
    """Return the numbers written in `text`, with or without thousands separators ("2,710", "4346")."""
    return {int(number.replace(",", "")) for number in re.findall(r"\d[\d,]*\d|\d", text)}


def flash_update(date: str, headline: str, address: str) -> tuple[str, datetime.date]:
    """Return the number and the publication date of OCHA's Lebanon flash update, from its link's words and address."""
    number = FLASH_UPDATE_NUMBER.search(headline)
    published = DATE_IN_ADDRESS.search(path_end(address))
    if not (number and published):
        raise Unreadable(f"{date}: the note names no OCHA Flash Update number and date")
    return number[1], day_in_address(published[1], address)
