"""A small keep-alive HTTP client for load generation (``http.client``, cookies by hand).

``requests`` costs about a millisecond of CPU per call in the client, which on a two-core
machine would slow down the server being measured; this costs a fraction of that. Cookies are
kept by name (attributes such as Secure are ignored: the benchmarks talk plain HTTP over
loopback to apps running in production mode).
"""

from __future__ import annotations

import html
import http.client
import re
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
RECEIPT_RE = re.compile(r"\b(\d{4}(?:[- ]\d{4}){6})\b")
# Servers close idle keep-alive connections (gunicorn: after 2 s); reconnect before that.
_IDLE_RECONNECT_SECONDS = 1.0

# What a careful reporter types: every field of the report form (about 400 bytes of text).
REPORT_FIELDS = {
    "what_happened": (
        "He said he would bring his father's gun to school on Friday and that people would be "
        "sorry. He showed a photo of the gun to two of us at lunch. He has been angry since he "
        "was suspended last month and keeps talking about the teachers who reported him."
    ),
    "category": "threat_of_violence",
    "subject": "A student in my class",
    "location_type": "school",
    "location": "Lincoln High School",
    "when": "Friday morning",
    "danger_now": "no",
    "weapons_access": "yes",
    "how_known": "told_by_person",
    "how_known_detail": "",
    "contact_choice": "anonymous",
}


def csrf_token(page: str) -> str:
    match = CSRF_RE.search(page)
    if not match:
        raise ValueError("no CSRF token in the page")
    return html.unescape(match.group(1) or match.group(2))


def receipt_code(page: str) -> str | None:
    match = RECEIPT_RE.search(page)
    return match.group(1) if match else None


def multipart(fields: dict[str, str], empty_file_field: str | None = "files") -> tuple[bytes, str]:
    """The body a browser sends for a multipart form (with no file chosen), and its type."""
    boundary = "----tiplinebench" + uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    if empty_file_field:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{empty_file_field}"; '
            'filename=""\r\nContent-Type: application/octet-stream\r\n\r\n\r\n'
        )
    parts.append(f"--{boundary}--\r\n")
    return "".join(parts).encode("utf-8"), f"multipart/form-data; boundary={boundary}"


def urlencoded(fields: dict[str, str]) -> tuple[bytes, str]:
    return urlencode(fields).encode("ascii"), "application/x-www-form-urlencoded"


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    text: str


class Client:
    """One browser-like client: one keep-alive connection, its cookies."""

    def __init__(self, base_url: str, timeout: float = 60.0) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self._conn: http.client.HTTPConnection | None = None
        self._last_used = 0.0

    def _connection(self) -> http.client.HTTPConnection:
        idle = time.monotonic() - self._last_used
        if self._conn is not None and idle > _IDLE_RECONNECT_SECONDS:
            self.close()
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._conn

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str | None = None
    ) -> Response:
        headers = {"Accept": "text/html"}
        if content_type:
            headers["Content-Type"] = content_type
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = self._connection()
        try:
            conn.request(method, path, body=body, headers=headers)
            raw = conn.getresponse()
            data = raw.read()
        except (http.client.HTTPException, OSError):
            self.close()
            raise
        self._last_used = time.monotonic()
        for header, value in raw.getheaders():
            if header.lower() == "set-cookie":
                self._store_cookie(value)
        if raw.getheader("Connection", "").lower() == "close":
            self.close()
        return Response(raw.status, dict(raw.getheaders()), data.decode("utf-8", "replace"))

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, body: bytes, content_type: str) -> Response:
        return self.request("POST", path, body, content_type)

    def _store_cookie(self, header: str) -> None:
        first, *attributes = header.split(";")
        name, _, value = first.strip().partition("=")
        expired = any(
            a.strip().lower().startswith(("max-age=0", "expires=thu, 01 jan 1970"))
            for a in attributes
        )
        if expired or not value:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
