"""The ``system`` fixture: a running Tipline for end-to-end tests (see harness.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.harness import System, running_system
from tipline.settings import Settings


@pytest.fixture
def system(settings: Settings) -> Iterator[System]:
    with running_system(settings) as running:
        yield running
