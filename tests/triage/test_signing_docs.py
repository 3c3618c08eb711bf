"""The verification example in docs/notifications.md accepts our signatures and nothing else."""

from __future__ import annotations

import re
import time
from pathlib import Path

from triage.notify import signing

DOC = Path(__file__).resolve().parents[2] / "docs" / "notifications.md"


def documented_verify():
    (code,) = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.DOTALL)
    namespace: dict = {}
    exec(compile(code, str(DOC), "exec"), namespace)
    return namespace["verify"]


def test_the_documented_check_verifies_a_signed_body() -> None:
    verify = documented_verify()
    secret = b"shared with the receiver"
    body = b'{"schema":"tipline.notification/1","item":42}'
    now = int(time.time())
    headers = {
        "X-Tipline-Timestamp": str(now),
        "X-Tipline-Signature": signing.sign(secret, now, body),
    }
    assert verify(secret, headers, body)
    assert not verify(secret, headers, body.replace(b"42", b"43"))
    assert not verify(b"another secret", headers, body)
    stale = {
        "X-Tipline-Timestamp": str(now - 3600),
        "X-Tipline-Signature": signing.sign(secret, now - 3600, body),
    }
    assert not verify(secret, stale, body)
