"""Identifiers found in an opened report or referral, normalized so that two spellings of one
identifier become one value (the blind index then keys that value; see ``triage.blind_index``).

What is read (``docs/related-reports.md`` has the same list, with examples):

- ``person``: the person of concern's name, from the ``subject`` field only (no guessing of
  names inside the narrative). Accents and case are folded, punctuation dropped, initials
  (one letter) and titles/suffixes (Mr, Dr, Jr, III...) left out, and the remaining words are
  sorted, so "Jonathan Q. Smith", "SMITH, Jonathan" and "jonathan smith" are one name. A name
  is two to four words of letters; one word alone ("Jon") is too common to link on. Nicknames
  are not matched: "Jon Smith" is not "Jonathan Smith".
- ``handle``: a social media handle, written "@name" anywhere in the free-text fields, or as a
  profile address (instagram.com/name, tiktok.com/@name, x.com/name ...). Case, the "@", dots,
  underscores and dashes are dropped, and the platform is not kept: "@Jon_Smith",
  "instagram.com/jon.smith" and "@jonsmith" are one handle. At least three characters remain.
- ``phone``: digit runs that form a phone number in any field. North American numbers keep
  their ten digits (a leading country code 1 is dropped: "+1 (555) 123-4567" = "555.123.4567"
  = "5551234567"); a number written with "+" or "00" and 8 to 15 digits is kept as its digits
  (E.164 without the "+"). Seven-digit local numbers, dates and other digit runs are ignored.
- ``email``: addresses in any field, lowercased; a "+tag" in the local part is dropped, and
  for Gmail the dots too ("Jon.Smith+x@googlemail.com" = "jonsmith@gmail.com").
- ``place``: the ``location`` text and an organization typed as "not listed" (folded, without
  punctuation, whitespace collapsed). Organizations chosen from the directory are not linked
  on: the queue already groups them, and every report about a school would be "related".
- ``reporter``: the reporter's (or filer's) own email and phone, normalized as above. Never
  used to link items; it only tells that two reports came from the same person, so that they
  do not count as independent reports. A handle, phone or email that is the reporter's own is
  not taken as one of the person of concern's.

Everything here works in memory; nothing is stored or logged.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from triage.documents import REFERRAL, fields_of, kind_of

PERSON = "person"
HANDLE = "handle"
PHONE = "phone"
EMAIL = "email"
PLACE = "place"
REPORTER = "reporter"
# The kinds that say "this is about the same person"; ``place`` links but does not.
PERSON_KINDS = (PERSON, HANDLE, PHONE, EMAIL)
LINK_KINDS = (*PERSON_KINDS, PLACE)

# Free-text fields of a report or a referral searched for handles, phones and emails.
TEXT_FIELDS = (
    "subject",
    "what_happened",
    "location",
    "when",
    "how_known_detail",
    "relation_detail",
    "actions_taken",
)

NAME_WORDS_MIN = 2
NAME_WORDS_MAX = 4
HANDLE_MIN = 3
# Words left out of a name: titles and suffixes.
NAME_NOISE = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "jr", "sr", "ii", "iii", "iv", "the"}
)

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
_PROFILE = re.compile(
    r"(?:https?://)?(?:www\.|m\.|mobile\.)?"
    r"(?:instagram\.com|tiktok\.com|twitter\.com|x\.com|facebook\.com|fb\.com|threads\.net"
    r"|snapchat\.com/add|youtube\.com|twitch\.tv|reddit\.com/u(?:ser)?|github\.com)"
    r"/@?([A-Za-z0-9_.-]{2,40})",
    re.IGNORECASE,
)
_HANDLE = re.compile(r"(?<![\w.@/])@([A-Za-z0-9_.]{2,40})")
_PHONE = re.compile(r"(?<![\w+])(\+|00)?\s*(\(?\d[\d\s().-]{5,22}\d)(?![\w])")
_SEGMENTS = re.compile(r"[,;/|()\[\]\n]+")
_NOT_WORD = re.compile(r"[^\w\s]", re.UNICODE)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, order=True)
class Identifier:
    """One normalized identifier; lives in memory only (the database keeps its HMAC)."""

    kind: str
    value: str


def fold(text: str) -> str:
    """Case-folded, accents removed (NFKD, combining marks dropped)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def normalize_text(text: str) -> str:
    """Folded, punctuation removed, whitespace collapsed: for places and search."""
    return _SPACES.sub(" ", _NOT_WORD.sub(" ", fold(text))).strip()


def normalize_handle(raw: str) -> str | None:
    value = re.sub(r"[@._-]", "", fold(raw.strip()))
    return value if len(value) >= HANDLE_MIN and value.isalnum() else None


def normalize_phone(raw: str, international: bool = False) -> str | None:
    """Ten digits for a North American number; the digits of an international one written
    with "+" or "00"; None for anything else."""
    digits = re.sub(r"\D", "", raw)
    if international:
        if digits.startswith("1") and len(digits) == 11:
            return digits[1:]
        return digits if 8 <= len(digits) <= 15 else None
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) == 10 and digits[0] not in "01":
        return digits
    return None


def normalize_email(raw: str) -> str | None:
    address = fold(raw.strip())
    local, _, domain = address.rpartition("@")
    if not local or "." not in domain:
        return None
    local = local.split("+", 1)[0]
    if domain in ("gmail.com", "googlemail.com"):
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}" if local else None


def normalize_name(raw: str) -> str | None:
    """A person's name as sorted words, or None if ``raw`` does not look like a name."""
    parts = [part for part in _SEGMENTS.split(raw) if part.strip()]
    first = _name_words(parts[0]) if parts else None
    if first is None:
        return None
    words = first
    # "Smith, Jonathan": a surname alone, then the given names.
    if len(first) == 1 and len(parts) > 1:
        second = _name_words(parts[1])
        if second is not None:
            words = first + second
    words = [w for w in words if len(w) > 1 and w not in NAME_NOISE]
    if not NAME_WORDS_MIN <= len(words) <= NAME_WORDS_MAX:
        return None
    return " ".join(sorted(words))


def _name_words(segment: str) -> list[str] | None:
    """The words of one segment if every one is made of letters (after dropping dots,
    apostrophes and hyphens), else None."""
    text = fold(segment).replace("'", "").replace("\u2019", "").replace(".", " ")
    words = text.replace("-", " ").split()
    if not words or not all(w.isalpha() for w in words):
        return None
    return words


def _without_contacts(text: str) -> str:
    """The text with emails, profile addresses, handles and phone numbers taken out."""
    for pattern in (_EMAIL, _PROFILE, _HANDLE, _PHONE):
        text = pattern.sub(" ", text)
    return text


def find_in_text(text: str) -> set[Identifier]:
    """Handles, phones and emails written anywhere in ``text``."""
    found: set[Identifier] = set()
    for match in _EMAIL.finditer(text):
        email = normalize_email(match.group(0))
        if email:
            found.add(Identifier(EMAIL, email))
    rest = _EMAIL.sub(" ", text)
    for pattern in (_PROFILE, _HANDLE):
        for match in pattern.finditer(rest):
            handle = normalize_handle(match.group(1))
            if handle:
                found.add(Identifier(HANDLE, handle))
        rest = pattern.sub(" ", rest)
    for match in _PHONE.finditer(rest):
        phone = normalize_phone(match.group(2), international=bool(match.group(1)))
        if phone:
            found.add(Identifier(PHONE, phone))
    return found


def reporter_identifiers(document: Mapping[str, Any]) -> set[Identifier]:
    """The reporter's (or filer's) own email and phone, as ``reporter`` identifiers."""
    if kind_of(document) == REFERRAL:
        given: Mapping[str, Any] = document.get("filer") or {}
    else:
        given = document.get("contact") or {}
    found: set[Identifier] = set()
    email = given.get("email")
    if isinstance(email, str) and (normalized := normalize_email(email)):
        found.add(Identifier(REPORTER, f"email:{normalized}"))
    phone = given.get("phone")
    if isinstance(phone, str):
        normalized = normalize_phone(phone, international=phone.strip().startswith(("+", "00")))
        if normalized:
            found.add(Identifier(REPORTER, f"phone:{normalized}"))
    return found


def extract(document: Mapping[str, Any]) -> set[Identifier]:
    """Every identifier of a validated report or referral (see the module docstring)."""
    fields = fields_of(document)
    found: set[Identifier] = set()
    for name in TEXT_FIELDS:
        value = fields.get(name)
        if isinstance(value, str) and value.strip():
            found |= find_in_text(value)
    subject = fields.get("subject")
    if isinstance(subject, str):
        name = normalize_name(_without_contacts(subject))
        if name:
            found.add(Identifier(PERSON, name))
    for place in _places(document, fields):
        found.add(Identifier(PLACE, place))
    reporter = reporter_identifiers(document)
    # The reporter's own phone or email in the text is not the person of concern's.
    own = {i.value.split(":", 1)[1] for i in reporter}
    found = {i for i in found if not (i.kind in (PHONE, EMAIL) and i.value in own)}
    return found | reporter


def _places(document: Mapping[str, Any], fields: Mapping[str, Any]) -> Iterable[str]:
    location = fields.get("location")
    if isinstance(location, str):
        place = normalize_text(_without_contacts(location))
        if len(place) >= HANDLE_MIN:
            yield place
    organization = document.get("organization") or {}
    typed = organization.get("name") if not organization.get("id") else None
    if isinstance(typed, str):
        place = normalize_text(typed)
        if len(place) >= HANDLE_MIN:
            yield place
