"""5. The cryptography on its own, in this process: sealing and opening per size, and the
receipt-code derivation, each beside the plain AES-256-GCM (or HMAC) it is built on.

- Reports of 1 KB and 10 KB: ``tipline.envelope.seal`` / ``open_envelope`` (HPKE, RFC 9180)
  to the run's unit key, with the default hybrid suite ML-KEM-768+X25519 and, for comparison,
  the classic X25519 suite.
- A 1 MB attachment: ``tipline.attachments.seal_file`` / ``open_to`` (AES-256-GCM in 64 KiB
  chunks with a fresh key; the key travels inside the sealed report).
- The receipt code: ``portal.receipts.ReceiptDeriver.derive`` at the production Argon2id cost
  (64 MiB, 3 passes, 4 lanes): one per submitted report, one per follow-up sign-in.

Each operation is repeated for about ``crypto_seconds`` (at least 3 times); the table gives
the median and the 95th percentile.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import time
from collections.abc import Callable

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bench.env import BenchEnv
from bench.options import Options
from bench.stats import ms, percentile, ratio
from bench.table import Table
from portal.receipts import ReceiptDeriver, new_code
from tipline import attachments, keys
from tipline.envelope import Purpose, open_envelope, seal

SIZES = (("1 KB report", 1024), ("10 KB report", 10 * 1024))
ATTACHMENT_BYTES = 1024 * 1024


def timed(operation: Callable[[], object], seconds: float, at_least: int = 3) -> list[float]:
    times: list[float] = []
    deadline = time.perf_counter() + seconds
    while len(times) < at_least or (time.perf_counter() < deadline and len(times) < 100_000):
        start = time.perf_counter()
        operation()
        times.append(time.perf_counter() - start)
    return times


def _cell(times: list[float]) -> str:
    return f"{ms(percentile(times, 50))} / {ms(percentile(times, 95))}"


def run(env: BenchEnv, options: Options) -> Table:
    seconds = options.crypto_seconds
    hybrid = keys.load_private_keys(env.key_dirs["private"])
    classic_key = keys.generate(keys.SuiteId.X25519)
    classic = {classic_key.key_id: classic_key}
    memory, passes = env.receipt_cost(options.receipt_overrides())
    table = Table(
        "5. Cryptography on its own (one core, in process)",
        f"p50 / p95 per operation, about {seconds:g} s of repetitions each; baseline: "
        "AES-256-GCM (one shot, fresh nonce) of the same bytes, or HMAC-SHA256 for the "
        "receipt code.",
    )
    aes = AESGCM(AESGCM.generate_key(bit_length=256))

    def aes_pair(size: int) -> tuple[list[float], list[float]]:
        data = os.urandom(size)
        nonce = os.urandom(12)
        sealed = aes.encrypt(nonce, data, None)
        enc = timed(lambda: aes.encrypt(os.urandom(12), data, None), seconds)
        dec = timed(lambda: aes.decrypt(nonce, sealed, None), seconds)
        return enc, dec

    for label, size in SIZES:
        plaintext = os.urandom(size)
        enc, dec = aes_pair(size)
        for suite_label, keyring in (("ML-KEM-768+X25519", hybrid), ("X25519", classic)):
            if suite_label == "X25519" and size != SIZES[0][1]:
                continue
            public = next(iter(keyring.values())).public
            envelope = seal(plaintext, public, Purpose.REPORT)
            sealing = timed(lambda p=public, t=plaintext: seal(t, p, Purpose.REPORT), seconds)
            opening = timed(
                lambda e=envelope, k=keyring: open_envelope(e, k, Purpose.REPORT), seconds
            )
            table.add(
                f"seal {label} ({suite_label})",
                _cell(sealing),
                _cell(enc),
                ratio(percentile(sealing, 50), percentile(enc, 50)),
            )
            table.add(
                f"open {label} ({suite_label})",
                _cell(opening),
                _cell(dec),
                ratio(percentile(opening, 50), percentile(dec, 50)),
            )

    data = os.urandom(ATTACHMENT_BYTES)
    file_key = attachments.new_file_key()
    attachment_id = attachments.random_id()
    sealed_file = io.BytesIO()
    attachments.seal_file(io.BytesIO(data), sealed_file, file_key, attachment_id)
    sealed_bytes = sealed_file.getvalue()
    enc, dec = aes_pair(ATTACHMENT_BYTES)
    sealing = timed(
        lambda: attachments.seal_file(io.BytesIO(data), io.BytesIO(), file_key, attachment_id),
        seconds,
    )
    opening = timed(
        lambda: attachments.open_to(
            io.BytesIO(sealed_bytes), io.BytesIO(), file_key, attachment_id
        ),
        seconds,
    )
    table.add(
        "seal 1 MB attachment (AES-256-GCM, 64 KiB chunks)",
        _cell(sealing),
        _cell(enc),
        ratio(percentile(sealing, 50), percentile(enc, 50)),
    )
    table.add(
        "open 1 MB attachment",
        _cell(opening),
        _cell(dec),
        ratio(percentile(opening, 50), percentile(dec, 50)),
    )

    deriver = ReceiptDeriver(b"bench-pepper", memory_kib=memory, iterations=passes)
    code = new_code()
    derive = timed(lambda: deriver.derive(code), seconds)
    mac_key = os.urandom(32)
    mac = timed(lambda: hmac.new(mac_key, code.encode(), hashlib.sha256).digest(), seconds)
    table.add(
        f"receipt code -> lookup id + reporter key ({options.receipt_label(memory, passes)})",
        _cell(derive),
        _cell(mac),
        ratio(percentile(derive, 50), percentile(mac, 50)),
    )
    env.results["receipt_seconds"] = percentile(derive, 50)
    table.note(
        "The receipt derivation is memory-hard on purpose (it is what makes a stolen portal "
        "database useless for testing codes); it is the largest cost of a submission."
    )
    return table
