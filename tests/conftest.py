"""Shared fixtures and the Hypothesis settings of the suite."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from transport_policy.rules.loader import load_policy
from transport_policy.rules.model import Policy

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
POLICY_2021 = RULES / "2021-01"

# Property tests draw a modest number of examples so that the default suite stays quick; set
# HYPOTHESIS_PROFILE=thorough for a longer search. No deadline: timings on a shared machine vary.
settings.register_profile(
    "default", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=2_000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


_CACHE_DIR = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    # Policies and rulesets kept between processes (transport_policy.rules.stored) go to a folder
    # of this run, never the user's cache: every command a test starts inherits it.
    folder = tempfile.mkdtemp(prefix="transport-policy-cache-")
    config.stash[_CACHE_DIR] = folder
    os.environ["TRANSPORT_POLICY_CACHE_DIR"] = folder
    os.environ.pop("TRANSPORT_POLICY_NO_CACHE", None)


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = config.stash.get(_CACHE_DIR, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def policy() -> Policy:
    """The 2021-01 policy version, loaded from the source checkout."""
    return load_policy(POLICY_2021)


WEB_TOKEN = "web-page-token"


@pytest.fixture(scope="session")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The real service on 127.0.0.1 (two workers, a decision log) for the page tests."""
    from live_server import served

    with served(tmp_path_factory.mktemp("web-server"), WEB_TOKEN, log=True) as running:
        yield running


@pytest.fixture(scope="module")
def web_browser() -> Iterator[Any]:
    """A headless Chromium for one module's page tests (closed after it: Playwright's sync API
    keeps an event loop running while it is open, which other tests' asyncio.run would meet)."""
    from browser import chromium_browser

    with chromium_browser() as launched:
        yield launched


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where page tests keep their screenshots: ``$TRANSPORT_POLICY_SCREENSHOTS``, else a
    temporary folder."""
    from assessor import screenshot_folder

    return screenshot_folder(tmp_path_factory.mktemp("screenshots"))
