"""A quantity's headline in words, from compare's groups (analysis.compare_groups): each basis's recent claims as
one range, older claims only counted, so that no headline sets a 2022 estimate beside a 2026 count of names."""

from dataclasses import dataclass

from stats.citations import QUALIFIER_WORDS, format_day

# What each basis's claims are called in a headline (the codebook's words: docs/how-to-read-the-numbers.md).
BASIS_WORDS = {
    "estimated": "Estimates",
    "confirmed": "Confirmed counts (verified or named)",
    "claimed": "Statements",
}


@dataclass
class GroupWords:
    """One group's sentence in its parts, so that a page can set the numbers apart: `lead: numbers (note).`"""

    lead: str
    numbers: str
    note: str

    def __str__(self) -> str:
        return f"{self.lead}: {self.numbers} ({self.note})."


def group_words(group: dict) -> GroupWords:
    """Return a group's sentence: a lone claim with its hedge, claimant and day; several as a range of values, the
    months they count to and how many claimants."""
    basis = BASIS_WORDS[group["basis"]]
    if group["claims"] == 1:
        [claim] = group["figures"]
        counted = format_day(claim.period_end, claim.date_precision)
        return GroupWords(basis, f"{QUALIFIER_WORDS[claim.qualifier]}{claim.value:,}",
                          f"{claim.claimed_by.name}, to {counted}")
    first, last = (f"{group[end]:%B} {group[end].year}" for end in ("from", "to"))
    months = first if first == last else f"{first} – {last}"
    numbers = f"{group['min']:,}" if group["min"] == group["max"] else f"{group['min']:,} to {group['max']:,}"
    return GroupWords(f"{basis} counted to {months}", numbers, f"{group['claims']} claimants")


def older_words(older: list[dict], where: str) -> str:
    """Return the sentence that counts the older claims and says where they are (`where`: "listed below"), or ""."""
    figures = [claim for entry in older for claim in entry["figures"]]
    if not figures:
        return ""
    newest = max(figures, key=lambda claim: claim.period_end)
    counted = format_day(newest.period_end, newest.date_precision)
    if len(figures) == 1:
        return f"1 older claim, counted to {counted}, is {where}."
    return f"{len(figures)} older claims, the newest counted to {counted}, are {where}."


def headline(compared: dict, where: str) -> str:
    """Return the whole headline as plain text: each group's sentence, then the older claims'."""
    sentences = [str(group_words(group)) for group in compared["groups"]]
    return " ".join([*sentences, older_words(compared["older"], where)]).strip()
