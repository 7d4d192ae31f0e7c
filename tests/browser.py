"""Open a rendered page in headless Chromium and report anything that went wrong.

Reusable for the real reports: ``errors, png = check_page(path.as_uri(), expect_text=["分级"])``
then ``assert errors == []``. Uses Debian's Chromium (Playwright's own browsers are not
downloaded), a fresh profile per call, and blocks every request that is not ``file:``/``data:``.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlparse

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL = ("file:", "data:")


def check_page(url: str, *, expect_text: Iterable[str] = (), name: str | None = None,
               timeout_ms: int = 30_000) -> tuple[list[str], Path]:
    """Load ``url`` and return (problems, screenshot).

    Problems are console messages of type error, uncaught page errors, failed requests, any
    request that is not ``file:`` or ``data:`` (it is aborted, not sent), and each of
    ``expect_text`` missing from the page's visible text. The full-page screenshot is saved as
    ``tests/artifacts/<name>.png`` (``name`` defaults to the file name of ``url``).
    """
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    name = name or Path(unquote(urlparse(url).path)).stem or "page"
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / f"{name}.png"
    with tempfile.TemporaryDirectory(prefix="tiering-chromium-") as profile, \
            sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=ARGS,
            viewport={"width": 1280, "height": 900}, locale="zh-CN", offline=True)
        try:
            context.route(re.compile(r"^(?!file:|data:)"), lambda route: route.abort())
            page = context.new_page()
            page.on("console", lambda message: errors.append(
                f"console error: {message.text}") if message.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
            page.on("requestfailed", lambda request: errors.append(
                f"request failed: {request.url} ({request.failure})"))
            page.on("request", lambda request: None if request.url.startswith(LOCAL)
                    else errors.append(f"network request: {request.url}"))
            response = page.goto(url, wait_until="load", timeout=timeout_ms)
            if response is not None and not response.ok:
                errors.append(f"load failed: {url} ({response.status})")
            page.wait_for_load_state("networkidle", timeout=timeout_ms)
            text = page.inner_text("body")
            errors.extend(f"text missing: {wanted}" for wanted in expect_text
                          if wanted not in text)
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            context.close()
    return errors, screenshot
