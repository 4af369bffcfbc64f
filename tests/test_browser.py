"""End to end in a real headless Chromium (Debian's package, driven by Playwright): the dashboard, a
partnership page and a saved query, against a running server. Screenshots go to var/screenshots/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from serving import running_server

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "var" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    with running_server(folder, ("init",), ("validate", "--as-at", "2026-11-22", "--fail-on", "none")) as (base, _):
        yield base


@pytest.mark.slow
def test_dashboard_partnership_and_a_saved_query_in_chromium(server):
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: `make test` installs it"
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(server + "/")
        assert page.locator("h1").inner_text() == "Partnership working at a glance"
        page.screenshot(path=str(SHOTS / "dashboard.png"), full_page=True)

        page.click("text=Partnerships")
        page.fill("#q", "community safety")
        page.click("button:has-text('Filter')")
        page.click("text=Cambridge Community Safety Partnership")
        assert page.locator("h1").inner_text() == "Cambridge Community Safety Partnership"
        assert page.locator("a[href='/obligation/CAM-4c']").count() >= 1
        page.screenshot(path=str(SHOTS / "partnership.png"), full_page=True)

        page.goto(server + "/queries")
        page.click("text=Observers who voted")
        page.click("button:has-text('Run')")
        assert "Government Office for the North West" in page.locator("table").inner_text()
        page.screenshot(path=str(SHOTS / "saved-query.png"), full_page=True)

        page.goto(server + "/network")
        page.screenshot(path=str(SHOTS / "network.png"), full_page=True)

        outside = []
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(server) else None)
        page.goto(server + "/query")
        page.wait_for_selector(".yasqe")
        page.click(".yasqe_queryButton")
        page.wait_for_selector(".yasr table, .yasr .dataTable", timeout=20_000)
        assert "Cambridgeshire Together" in page.locator(".yasr").inner_text()
        page.screenshot(path=str(SHOTS / "sparql-editor.png"), full_page=True)
        assert outside == [], f"the editor reached outside this service: {outside[:3]}"
        browser.close()
    for name in ("dashboard", "partnership", "saved-query", "sparql-editor"):
        assert (SHOTS / f"{name}.png").stat().st_size > 10_000
