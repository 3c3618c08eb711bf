"""A full anonymous dialogue over HTTP with real workers.

Report -> officer's question -> the reporter reads it with their code -> replies with a photo
-> the officer reads the reply and downloads the photo, cleaned of its location and device
data. The question's and the reply's plaintext are stored nowhere, and Redis never holds it.
"""

from __future__ import annotations

import io
import re
import uuid

import requests
from PIL import Image

from tests.e2e.harness import System, all_rows, csrf_token, receipt_code
from tests.e2e.test_canaries import db_dump, redis_dump

GPS_IFD = 0x8825


def photo_with_location(tag: str) -> bytes:
    """A JPEG such as a phone takes: camera make/model and GPS coordinates in its EXIF."""
    image = Image.new("RGB", (96, 64), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = f"CanaryCam{tag}"  # Make
    exif[0x0110] = "Phone 15"  # Model
    exif[GPS_IFD] = {1: "N", 2: (40.0, 26.0, 46.0), 3: "W", 4: (79.0, 58.0, 56.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the fixture is real
    return data


def item_path(officer: requests.Session, system: System) -> str:
    page = officer.get(f"{system.triage_url}/queue", timeout=30).text
    (path,) = re.findall(r'href="(/items/\d+)"', page)
    return path


def reporter_signs_in(system: System, code: str) -> tuple[requests.Session, requests.Response]:
    reporter = requests.Session()
    form = reporter.get(f"{system.portal_url}/follow-up", timeout=30)
    mailbox = reporter.post(
        f"{system.portal_url}/follow-up",
        data={"code": code, "csrf_token": csrf_token(form.text)},
        timeout=30,
    )
    assert mailbox.status_code == 200, mailbox.text[:400]
    return reporter, mailbox


def test_full_dialogue_with_a_photo(system: System, redis_conn) -> None:
    tag = uuid.uuid4().hex[:10]
    question = f"Which school is it? questioncanary{tag}"
    answer = f"Lincoln High, he posted it Tuesday. replycanary{tag}"

    code = receipt_code(system.submit_report().text)
    system.run_intake()
    system.run_portal_worker()

    # The officer asks a question.
    officer = system.officer_session(system.add_officer())
    item = item_path(officer, system)
    item_page = officer.get(system.triage_url + item, timeout=30).text
    sent = officer.post(
        f"{system.triage_url}{item}/messages",
        data={"text": question, "csrf_token": csrf_token(item_page)},
        timeout=30,
    )
    assert sent.status_code == 200
    system.run_portal_worker()  # the portal stores the sealed question
    system.run_intake()  # and triage records its delivery
    assert "Awaiting reporter" in officer.get(f"{system.triage_url}/queue", timeout=30).text

    # The reporter comes back with the code, reads it and answers with a photo.
    reporter, mailbox = reporter_signs_in(system, code)
    assert question in mailbox.text
    replied = reporter.post(
        f"{system.portal_url}/follow-up/reply",
        data={"text": answer, "csrf_token": csrf_token(mailbox.text)},
        files={"files": ("IMG_0042.jpg", photo_with_location(tag), "image/jpeg")},
        timeout=60,
    )
    assert replied.status_code == 200, replied.text[:400]
    system.run_intake()  # the reply and its photo reach triage
    system.run_portal_worker()  # acknowledgements

    # The officer sees the answer stand out, reads it and downloads the cleaned photo.
    assert "Reporter replied" in officer.get(f"{system.triage_url}/queue", timeout=30).text
    item_page = officer.get(system.triage_url + item, timeout=30).text
    assert answer in item_page
    (download,) = re.findall(rf'href="({re.escape(item)}/attachments/[0-9a-f]{{32}})"', item_page)
    photo = officer.get(system.triage_url + download, timeout=30)
    assert photo.status_code == 200
    assert photo.headers["Content-Disposition"].startswith("attachment")
    cleaned = Image.open(io.BytesIO(photo.content))
    assert cleaned.size == (96, 64)
    assert dict(cleaned.getexif()) == {}
    assert b"CanaryCam" not in photo.content and b"GPS" not in photo.content

    # Neither side stored the words of the conversation in clear, nor did Redis carry them.
    needles = [
        f"questioncanary{tag}".encode(),
        f"replycanary{tag}".encode(),
        b"CanaryCam" + tag.encode(),
    ]
    for where, values in {
        "portal database": db_dump(system.settings.portal_database_url or ""),
        "triage database": db_dump(system.settings.triage_database_url or ""),
        "redis": redis_dump(redis_conn),
    }.items():
        leaks = [n for n in needles for v in values if n in v]
        assert leaks == [], where
    actions = [
        r["action"]
        for t, r in all_rows(system.settings.triage_database_url or "")
        if t == "audit_events"
    ]
    assert "message-sent" in actions and "attachment-downloaded" in actions


def test_wrong_code_is_told_plainly_and_changes_nothing(system: System) -> None:
    code = receipt_code(system.submit_report().text)
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    reporter = requests.Session()
    form = reporter.get(f"{system.portal_url}/follow-up", timeout=30)
    answer = reporter.post(
        f"{system.portal_url}/follow-up",
        data={"code": wrong, "csrf_token": csrf_token(form.text)},
        timeout=30,
    )
    assert answer.status_code in (200, 404, 422)
    assert "could not find" in answer.text.lower()
    _, mailbox = reporter_signs_in(system, code)  # the right code still works
    assert "received" in mailbox.text.lower()
