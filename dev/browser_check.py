"""The Lovelace card in a real browser against a real Home Assistant (``script/test``).

Usage: ``python -m dev.browser_check [--port P] [--dataset PATH|synthetic] [--readme-screenshot]``

Starts Home Assistant the way ``script/develop`` does (fresh demo home in
``.dev/browser``: onboarded by API, the household's history in the recorder,
the entry and rooms through the real flows, the demo dashboard with the card),
then drives headless Chromium (``/usr/bin/chromium``) with Playwright and checks:

* the card renders live data for every room, without any Lovelace resource
  (it is loaded through ``add_extra_js_url``);
* a sensor change reaches the card within 2 s;
* an injected critical alert shows on two open cards; acknowledging it (by
  keyboard) on one updates both;
* leaving the view releases all three subscriptions on the server, the
  websocket itself staying open (``get_stats``);
* the card is in the card picker; its ``ha-form`` editor appears and editing
  the title updates the preview;
* five cold loads in a row all render (the custom-element registry race).

Screenshots (dashboard, narrow, dark theme, editor) go to ``.dev/screenshots``
(git-ignored); their paths are printed. Every wait is for a condition with a
timeout; no fixed sleeps. Exit code 0 when every check passed.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
import json
from pathlib import Path
import shutil
import sys
import time
from typing import Any

import aiohttp

from .demo_config import DemoSettings, write_config
from .demo_setup import (
    DASHBOARD_URL,
    DASHBOARD_VIEW,
    create_dashboard,
    create_rooms,
    entity_id_for,
    sign_in,
)
from .develop import HISTORY_OPTION_DAYS, MIN_HISTORY_DAYS, load_household
from .ha_client import HaClient
from .ha_process import REPO_ROOT, HaProcess, port_is_free
from .household import Household, place
from .steps import Steps

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # Chromium's Local Network Access checks: harmless here, the page is served by HA.
    "--disable-features=LocalNetworkAccessChecks",
]
CONFIG_DIR = REPO_ROOT / ".dev" / "browser"
SCREENSHOTS = REPO_ROOT / ".dev" / "screenshots"
README_SCREENSHOT = REPO_ROOT / "docs" / "images" / "card.png"
CARD = "occupancy-prediction-card"
STREAMS = ("predictions", "status", "alerts")
RENDER_TIMEOUT_MS = 30_000
LIVE_UPDATE_MS = 2_000


class CheckFailedError(AssertionError):
    """One browser check failed."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m dev.browser_check")
    parser.add_argument(
        "--port", type=int, help="HTTP port (default: the first free one from 8125)"
    )
    parser.add_argument("--dataset", help="household, as for script/develop")
    parser.add_argument("--timeout", type=float, default=180, help="seconds for HA steps")
    parser.add_argument("--only", help="run only the checks whose name contains this text")
    parser.add_argument(
        "--readme-screenshot",
        action="store_true",
        help=f"also write the card's screenshot to {README_SCREENSHOT.relative_to(REPO_ROOT)}",
    )
    return parser.parse_args(argv)


def tokens_script(base_url: str, token: str) -> str:
    """An init script that logs the browser in with ``token`` (before HA's scripts run)."""
    tokens = {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": 10 * 365 * 86400,
        "refresh_token": "",
        "hassUrl": base_url,
        "clientId": base_url + "/",
        "expires": int(time.time() * 1000) + 10 * 365 * 86400 * 1000,
    }
    return f"localStorage.setItem('hassTokens', {json.dumps(json.dumps(tokens))});"


async def wait_for(
    what: str, condition: Callable[[], Awaitable[bool]], within: float, every: float = 0.2
) -> float:
    """Poll ``condition`` until it is true; the seconds it took.

    Raises:
        CheckFailedError: when it is still false after ``within`` seconds.
    """
    begin = time.monotonic()
    while not await condition():
        if time.monotonic() - begin > within:
            msg = f"timed out after {within:g} s waiting for {what}"
            raise CheckFailedError(msg)
        await asyncio.sleep(every)
    return time.monotonic() - begin


class BrowserCheck:
    """The checks, sharing one Home Assistant and one Chromium."""

    def __init__(
        self, client: HaClient, household: Household, browser: Any, token: str, steps: Steps
    ) -> None:
        """Keep what every check needs."""
        self.client = client
        self.household = household
        self.browser = browser
        self.token = token
        self.steps = steps
        self.dashboard = f"{client.base_url}/{DASHBOARD_URL}/{DASHBOARD_VIEW}"
        self.failures: list[str] = []
        self.screenshots: list[Path] = []
        self.heals = 0
        self.card_errors: list[str] = []
        self.last_page: Any = None

    async def new_page(self, **context_options: Any) -> Any:
        """A logged-in page in a fresh browser context (cold cache)."""
        context = await self.browser.new_context(
            viewport=context_options.pop("viewport", {"width": 1280, "height": 1000}),
            **context_options,
        )
        await context.add_init_script(tokens_script(self.client.base_url, self.token))
        page = await context.new_page()
        self.last_page = page
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)
        return page

    def _on_console(self, message: Any) -> None:
        text = str(message.text)
        if text.startswith(f"{CARD}: re-defined"):
            self.heals += 1
        if message.type == "error" and CARD in text:
            self.card_errors.append(text)

    def _on_page_error(self, error: Any) -> None:
        text = f"{error}\n{getattr(error, 'stack', '') or ''}"
        if "occupancy-prediction-card.js" in text:
            self.card_errors.append(text)

    async def open_dashboard(self, page: Any, url: str | None = None) -> None:
        """Load the dashboard and wait until the card shows every room."""
        from playwright.async_api import expect  # noqa: PLC0415

        await page.goto(url or self.dashboard)
        rooms = page.locator(f"{CARD} [data-testid=room]")
        await expect(rooms).to_have_count(len(self.household.rooms), timeout=RENDER_TIMEOUT_MS)
        await expect(page.locator(f"{CARD} [data-testid=status]")).to_have_count(1)

    async def shot(self, page: Any, name: str, locator: Any = None) -> Path:
        """Save a screenshot (of ``locator`` or the page) under ``.dev/screenshots``."""
        path = SCREENSHOTS / f"{name}.png"
        await (locator or page).screenshot(path=str(path))
        self.screenshots.append(path)
        return path

    async def stream_subscribers(self) -> dict[str, int]:
        """The server's subscriber count per stream."""
        stats = await self.client.ws({"type": "occupancy_prediction/get_stats"})
        return {name: int(stats["streams"][name]["subscribers"]) for name in STREAMS}

    async def run(self, readme_screenshot: bool, only: str | None = None) -> None:
        """Run every check; a failing one is recorded and the next runs."""
        checks: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            ("card renders live data for every room", lambda: self.check_render(readme_screenshot)),
            ("a sensor change reaches the card within 2 s", self.check_live_update),
            ("critical alert on two cards, acknowledged from one", self.check_alert),
            ("leaving the view releases the three subscriptions", self.check_unsubscribe),
            ("narrow width and dark theme", self.check_narrow_and_dark),
            ("card picker, ha-form editor, live preview", self.check_editor),
            ("five cold loads in a row all render", self.check_cold_loads),
        ]
        for name, check in checks:
            if only and only not in name:
                continue
            self.last_page = None
            try:
                with self.steps.step(f"browser: {name}"):
                    await check()
            except Exception as err:  # noqa: BLE001 - report every check, then fail
                self.failures.append(f"{name}: {type(err).__name__}: {err}")
                print(f"    FAILED: {err}", flush=True)
                if self.last_page is not None and not self.last_page.is_closed():
                    path = await self.shot(self.last_page, f"failed-{checks.index((name, check))}")
                    print(f"    screenshot of the failure: {path}")
                    await self.last_page.context.close()
        if self.card_errors:
            self.failures.append("errors from the card in the browser console:")
            self.failures.extend(f"    {text}" for text in self.card_errors[:10])

    async def check_render(self, readme_screenshot: bool) -> None:
        """The card renders every room and the status, loaded without any resource."""
        resources = await self.client.ws({"type": "lovelace/resources"})
        if resources:
            msg = f"expected no Lovelace resources, found {resources}"
            raise CheckFailedError(msg)
        page = await self.new_page()
        await self.open_dashboard(page)
        card = page.locator(CARD).first
        print(f"    screenshot: {await self.shot(page, 'dashboard')}")
        print(f"    screenshot: {await self.shot(page, 'card', card)}")
        if readme_screenshot:
            README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            await card.screenshot(path=str(README_SCREENSHOT))
            print(f"    README screenshot: {README_SCREENSHOT}")
        await page.context.close()

    async def _room_to_change(self, page: Any) -> tuple[str, str, str, str]:
        """A room to switch: name, presence sensor, the sensor's new state, the room's."""
        states = {s["entity_id"]: s for s in await self.client.get("/api/states")}
        flips = {("vacant", "off"): ("on", "occupied"), ("occupied", "on"): ("off", "vacant")}
        for room in self.household.rooms:
            entity_id = entity_id_for(room.key)
            shown = await page.locator(f"{CARD} [data-room-name='{room.name}']").get_attribute(
                "data-state"
            )
            flip = flips.get((str(shown), str(states.get(entity_id, {}).get("state"))))
            if flip is not None:
                return room.name, entity_id, *flip
        msg = "no room whose presence sensor agrees with the card"
        raise CheckFailedError(msg)

    async def set_state(self, entity_id: str, state: str) -> None:
        """Write a sensor state, as the sensor itself would (REST API)."""
        current = await self.client.get(f"/api/states/{entity_id}")
        await self.client.post(
            f"/api/states/{entity_id}", {"state": state, "attributes": current["attributes"]}
        )

    async def check_live_update(self) -> None:
        """A presence sensor switching shows the room's new state on the card within 2 s."""
        from playwright.async_api import expect  # noqa: PLC0415

        page = await self.new_page()
        await self.open_dashboard(page)
        name, entity_id, state, shown = await self._room_to_change(page)
        before = (await self.client.get(f"/api/states/{entity_id}"))["state"]
        row = page.locator(f"{CARD} [data-room-name='{name}']")
        begin = time.monotonic()
        await self.set_state(entity_id, state)
        try:
            await expect(row).to_have_attribute("data-state", shown, timeout=LIVE_UPDATE_MS)
        finally:
            took = time.monotonic() - begin
            await self.set_state(entity_id, before)
        print(f"    {name}: {entity_id} -> {state}; the card showed {shown} after {took:.2f} s")
        await page.context.close()

    async def check_alert(self) -> None:
        """A room with every sensor unavailable raises a critical alert on every card."""
        from playwright.async_api import expect  # noqa: PLC0415

        first = await self.new_page()
        second = await first.context.new_page()
        await self.open_dashboard(first)
        await self.open_dashboard(second)
        room = self.household.rooms[-1]
        entity_id = entity_id_for(room.key)
        before = (await self.client.get(f"/api/states/{entity_id}"))["state"]
        critical = f"{CARD} [data-testid=alert][data-severity=critical][data-acknowledged=false]"
        try:
            await self.set_state(entity_id, "unavailable")
            for page in (first, second):
                await expect(page.locator(critical)).to_have_count(1, timeout=10_000)
            print(f"    screenshot: {await self.shot(first, 'alert', first.locator(CARD).first)}")
            # Keyboard: focus the Acknowledge button and press Enter.
            button = first.locator(f"{critical} [data-testid=ack]")
            await button.focus()
            await first.keyboard.press("Enter")
            acknowledged = (
                f"{CARD} [data-testid=alert][data-severity=critical][data-acknowledged=true]"
            )
            for page in (first, second):
                await expect(page.locator(critical)).to_have_count(0, timeout=5_000)
                await expect(page.locator(acknowledged)).to_have_count(1, timeout=5_000)
                await expect(page.locator(f"{CARD} [data-testid=ack]")).to_have_count(0)
        finally:
            await self.set_state(entity_id, before)
        for page in (first, second):
            await expect(page.locator(acknowledged)).to_have_count(0, timeout=10_000)
        await first.context.close()

    async def check_unsubscribe(self) -> None:
        """Two cards hold 2 subscriptions per stream; leaving the view releases them."""
        pages = [await self.new_page(), None]
        pages[1] = await pages[0].context.new_page()
        for page in pages:
            await self.open_dashboard(page)

        async def counts_are(expected: int) -> bool:
            return set((await self.stream_subscribers()).values()) == {expected}

        await wait_for("2 subscribers per stream", lambda: counts_are(2), 10)
        for page in pages:
            # In-app navigation (as the sidebar does): the websocket stays open.
            await page.evaluate(
                "() => { history.pushState(null, '', '/history');"
                " window.dispatchEvent(new CustomEvent('location-changed',"
                " {detail: {replace: false}})); }"
            )
        took = await wait_for("0 subscribers per stream", lambda: counts_are(0), 10)
        connected = await pages[0].evaluate(
            "() => document.querySelector('home-assistant').hass.connection.connected"
        )
        if not connected:
            msg = "the frontend's websocket closed: the release was not by unsubscribe"
            raise CheckFailedError(msg)
        print(f"    subscriptions released {took:.2f} s after leaving the view (socket open)")
        await pages[0].context.close()

    async def check_narrow_and_dark(self) -> None:
        """Screenshots at phone width and in the dark theme; the card renders in both."""
        page = await self.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
        await self.open_dashboard(page)
        width = await page.locator(CARD).first.evaluate("el => el.getBoundingClientRect().width")
        if width > 390:
            msg = f"card is {width} px wide at a 390 px viewport"
            raise CheckFailedError(msg)
        print(f"    screenshot: {await self.shot(page, 'narrow')}")
        await page.context.close()
        page = await self.new_page(color_scheme="dark")
        await self.open_dashboard(page)
        print(f"    screenshot: {await self.shot(page, 'dark')}")
        await page.context.close()

    async def check_editor(self) -> None:
        """Add card > search > our card: the ha-form editor, and the preview follows it."""
        from playwright.async_api import expect  # noqa: PLC0415

        page = await self.new_page()
        await self.open_dashboard(page, self.dashboard + "?edit=1")
        in_picker = await page.evaluate(
            f"() => (window.customCards || []).some(c => c.type === '{CARD}' && c.preview)"
        )
        if not in_picker:
            msg = "window.customCards has no previewable entry for the card"
            raise CheckFailedError(msg)
        await page.get_by_text("Add card", exact=True).first.click()
        await page.get_by_text("By card", exact=True).first.click()
        search = page.locator("hui-card-picker input").first
        await search.fill("Occupancy Prediction")
        tile = page.locator("hui-card-picker .card", has_text="Occupancy Prediction").first
        await tile.wait_for(timeout=RENDER_TIMEOUT_MS)
        box = await tile.bounding_box()
        if box is None:
            msg = "the card's tile in the picker is not visible"
            raise CheckFailedError(msg)
        await page.mouse.click(box["x"] + box["width"] / 2, box["y"] + min(20, box["height"] / 2))
        editor = page.locator(f"{CARD}-editor ha-form")
        await editor.wait_for(timeout=RENDER_TIMEOUT_MS)
        title = editor.locator("input").first
        await title.fill("Edited in the browser check")
        preview = page.locator(f"hui-dialog-edit-card {CARD} [data-testid=title]")
        await expect(preview).to_have_text("Edited in the browser check", timeout=10_000)
        # Choosing one room in the editor narrows the preview to that room.
        room = self.household.rooms[0].name
        await page.locator(f"{CARD}-editor").get_by_text(room, exact=True).click()
        shown = page.locator(f"hui-dialog-edit-card {CARD} [data-testid=room]")
        await expect(shown).to_have_count(1, timeout=10_000)
        await expect(shown).to_have_attribute("data-room-name", room)
        print(f"    screenshot: {await self.shot(page, 'editor')}")
        await page.context.close()

    async def check_cold_loads(self) -> None:
        """Five fresh contexts (no cache) in a row: the card is defined and renders each time."""
        heals_before = self.heals
        for _ in range(5):
            page = await self.new_page()
            await self.open_dashboard(page)
            await page.context.close()
        print(
            "    5/5 rendered; the registry-swap fix re-defined the card in"
            f" {self.heals - heals_before} loads"
        )


async def prepare(
    args: argparse.Namespace,
    household: Household,
    client: HaClient,
    process: HaProcess,
    steps: Steps,
) -> str:
    """A fresh demo home as ``script/develop`` makes it; the long-lived token."""
    with steps.step(f"prepare demo config in {CONFIG_DIR.relative_to(REPO_ROOT)}"):
        shutil.rmtree(CONFIG_DIR, ignore_errors=True)
        placement = place(household, datetime.now(UTC), MIN_HISTORY_DAYS)
        write_config(CONFIG_DIR, household, placement, DemoSettings(args.port))
    with steps.step("start Home Assistant (HTTP up)"):
        process.start()
        print(f"    pid {process.pid}, log {CONFIG_DIR / 'home-assistant.log'}")
        await client.wait_until_up(args.timeout, process.alive)
    with steps.step("onboard, history, entry and rooms, dashboard"):
        token = await sign_in(client, None)
        await client.wait_until_running(args.timeout)
        await client.call_service("occupancy_demo", "write_history", {})
        await create_rooms(client, household, HISTORY_OPTION_DAYS)
        from .check_run import wait_for_predictions  # noqa: PLC0415

        rooms, ready = await wait_for_predictions(client, len(household.rooms), args.timeout)
        if not ready:
            msg = "not every room has a prediction"
            raise CheckFailedError(msg)
        await create_dashboard(client, household.title, rooms)
    return token


async def run(args: argparse.Namespace, process: HaProcess, steps: Steps) -> int:
    """Prepare Home Assistant, run the checks; the exit code."""
    from playwright.async_api import async_playwright  # noqa: PLC0415

    household = load_household(args.dataset)
    if args.port is None:
        args.port = next(port for port in range(8125, 8200) if port_is_free(port))
    elif not port_is_free(args.port):
        print(f"Port {args.port} is in use; choose another with --port.")
        return 2
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for stale in SCREENSHOTS.glob("failed-*.png"):
        stale.unlink()
    base_url = f"http://127.0.0.1:{args.port}"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        client = HaClient(session, base_url)
        token = await prepare(args, household, client, process, steps)
        async with async_playwright() as playwright:
            with steps.step("launch Chromium"):
                browser = await playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
                )
            check = BrowserCheck(client, household, browser, token, steps)
            await check.run(args.readme_screenshot, args.only)
            await browser.close()
    print("Screenshots:\n" + "\n".join(f"    {path}" for path in check.screenshots))
    if check.failures:
        print("BROWSER CHECK FAILED:\n" + "\n".join(check.failures))
        print(f"Home Assistant log: {CONFIG_DIR / 'home-assistant.log'}")
        return 1
    print("BROWSER CHECK PASSED")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the browser check; the exit code."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} not found: install it with 'apt-get install chromium' (script/setup).")
        return 2
    try:
        import hass_frontend  # noqa: F401, PLC0415
        import playwright  # noqa: F401, PLC0415
    except ImportError as err:
        print(f"{err.name} is missing from .venv: run script/setup (the browser test needs")
        print("Playwright and Home Assistant's frontend, so not SKIP_DEVELOP_REQUIREMENTS=1).")
        return 2
    steps = Steps()
    process = HaProcess(CONFIG_DIR)
    try:
        return asyncio.run(run(args, process, steps))
    except CheckFailedError as err:
        print(f"BROWSER CHECK FAILED: {err}")
        return 1
    finally:
        if process.pid is not None:
            with steps.step("stop Home Assistant"):
                process.stop()
        print("Steps:\n" + steps.summary())


if __name__ == "__main__":
    sys.exit(main())
