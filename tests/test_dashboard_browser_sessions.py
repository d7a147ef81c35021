"""The dashboard's sessions in headless Chromium: a cookie copied before logout opens nothing
after it, a cross-site form posting to /logout does nothing, and a crafted `next` lands on the
site's own page."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

from playwright.sync_api import Page, sync_playwright

from dashboard.storage import Storage
from provisioning.localbroker import free_port
from tests.test_dashboard_e2e import CHROMIUM, CHROMIUM_ARGS, served

__all__ = ["served"]  # the fixture, shared with the end-to-end test


def _log_in(page: Page, url: str, next_: str = "") -> None:
    page.goto(f"{url}/login" + (f"?next={next_}" if next_ else ""))
    page.fill("#username", "chef")
    page.fill("#password", "ett-långt-lösenord")
    page.click("#login")
    page.wait_for_load_state()


def _evil_site(target: str) -> Iterator[str]:
    """Another site (localhost, not 127.0.0.1) whose page posts a form to the dashboard."""
    body = (
        f'<form id="f" method="post" action="{target}/logout"></form>'
        '<script>document.getElementById("f").submit()</script>'
    ).encode()

    class Evil(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    port = free_port()
    server = http.server.HTTPServer(("127.0.0.1", port), Evil)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://localhost:{port}/"
    finally:
        server.shutdown()


def test_sessions_in_a_real_browser(served: tuple[str, Storage]) -> None:
    url, _ = served
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        page = context.new_page()

        # A crafted next lands on the site's own page, never elsewhere.
        _log_in(page, url, next_="/%09/evil.example")
        assert page.url.startswith(url + "/") and "evil" not in page.url
        assert page.locator("#logout").count() == 1

        # A cross-site form posting to /logout does nothing.
        for evil in _evil_site(url):
            attacker = context.new_page()
            attacker.goto(evil)
            attacker.wait_for_load_state()
            attacker.close()
        page.goto(url + "/")
        assert page.locator("#logout").count() == 1  # still logged in

        # A cookie copied before logout opens nothing after it.
        copied = [c for c in context.cookies() if c["name"].endswith("hemassist")]
        assert copied
        page.click("#logout")
        page.wait_for_load_state()
        assert "/login" in page.url
        thief = browser.new_context()
        thief.add_cookies(copied)  # type: ignore[arg-type]
        stolen = thief.new_page()
        stolen.goto(url + "/")
        assert "/login" in stolen.url and stolen.locator("#login").count() == 1
        browser.close()
