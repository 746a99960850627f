"""A small HTTP and websocket client for the dev Home Assistant.

Covers what ``script/develop`` needs: waiting for the server, onboarding a
fresh instance or logging into a prepared one, a long-lived token (the
replay clock may run a day a minute, so 30-minute access tokens would expire
within seconds), REST calls, config/options/subentry flows and one-shot
websocket commands.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp


class HaError(RuntimeError):
    """Home Assistant answered with an error."""


class HaClient:
    """Talks to one Home Assistant at ``base_url`` (``http://127.0.0.1:8123``)."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        """Use ``session`` for every request."""
        self._session = session
        self.base_url = base_url.rstrip("/")
        self.client_id = self.base_url + "/"
        self.token: str | None = None

    async def wait_until_up(self, within: float, alive: Callable[[], bool]) -> None:
        """Poll ``/manifest.json`` until it answers 200.

        Raises:
            HaError: on timeout, or when ``alive()`` says the process died.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while loop.time() < deadline:
            if not alive():
                msg = "Home Assistant exited during startup"
                raise HaError(msg)
            try:
                async with self._session.get(self.base_url + "/manifest.json") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.3)
        msg = f"Home Assistant did not answer on {self.base_url} within {within:.0f} s"
        raise HaError(msg)

    async def wait_until_running(self, within: float) -> dict[str, Any]:
        """Poll ``/api/config`` until Home Assistant has started; its config.

        Raises:
            HaError: on timeout.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            config: dict[str, Any] = await self.get("/api/config")
            if config.get("state") == "RUNNING":
                return config
            if loop.time() > deadline:
                msg = f"Home Assistant still {config.get('state')} after {within:.0f} s"
                raise HaError(msg)
            await asyncio.sleep(0.5)

    async def is_onboarded(self) -> bool:
        """Whether the owner account exists (``/api/onboarding`` is gone then)."""
        async with self._session.get(self.base_url + "/api/onboarding") as response:
            if response.status == 404:
                return True
            steps = await response.json()
            return any(s["step"] == "user" and s["done"] for s in steps)

    async def onboard(self, name: str, username: str, password: str) -> None:
        """Create the owner account and finish every onboarding step."""
        data = await self._post_json(
            "/api/onboarding/users",
            {
                "client_id": self.client_id,
                "name": name,
                "username": username,
                "password": password,
                "language": "en",
            },
            auth=False,
        )
        await self._exchange_code(data["auth_code"])
        for step, payload in (
            ("core_config", {}),
            ("analytics", {}),
            ("integration", {"client_id": self.client_id, "redirect_uri": self.client_id}),
        ):
            await self._post_json(f"/api/onboarding/{step}", payload)

    async def login(self, username: str, password: str) -> None:
        """Log into an onboarded instance with the Home Assistant auth provider."""
        flow = await self._post_json(
            "/auth/login_flow",
            {
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self.client_id,
            },
            auth=False,
        )
        result = await self._post_json(
            f"/auth/login_flow/{flow['flow_id']}",
            {"client_id": self.client_id, "username": username, "password": password},
            auth=False,
        )
        if result.get("type") != "create_entry":
            msg = f"login as {username!r} failed: {result.get('errors')}"
            raise HaError(msg)
        await self._exchange_code(result["result"])

    async def token_works(self) -> bool:
        """Whether the current token is accepted."""
        async with self._session.get(self.base_url + "/api/", headers=self._headers()) as r:
            return r.status == 200

    async def create_long_lived_token(self, name: str) -> str:
        """Swap the short access token for a ten-year one and use it from now on.

        ``name`` must be unique among the user's tokens.
        """
        token = await self.ws(
            {"type": "auth/long_lived_access_token", "client_name": name, "lifespan": 3650}
        )
        self.token = str(token)
        return self.token

    async def _exchange_code(self, code: str) -> None:
        form = {"grant_type": "authorization_code", "code": code, "client_id": self.client_id}
        async with self._session.post(self.base_url + "/auth/token", data=form) as response:
            body = await response.json()
            if response.status != 200:
                msg = f"/auth/token: {response.status} {body}"
                raise HaError(msg)
        self.token = body["access_token"]

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def _post_json(self, path: str, payload: Any, *, auth: bool = True) -> Any:
        headers = self._headers() if auth else {}
        async with self._session.post(self.base_url + path, json=payload, headers=headers) as r:
            if r.status >= 400:
                msg = f"POST {path}: {r.status} {await r.text()}"
                raise HaError(msg)
            return await r.json()

    async def get(self, path: str) -> Any:
        """GET ``path`` with the token; the decoded JSON."""
        async with self._session.get(self.base_url + path, headers=self._headers()) as r:
            if r.status >= 400:
                msg = f"GET {path}: {r.status} {await r.text()}"
                raise HaError(msg)
            return await r.json()

    async def post(self, path: str, payload: Any) -> Any:
        """POST JSON to ``path`` with the token; the decoded JSON."""
        return await self._post_json(path, payload)

    async def call_service(self, domain: str, service: str, data: dict[str, Any]) -> Any:
        """Call a service and return its response data."""
        result = await self.post(f"/api/services/{domain}/{service}?return_response", data)
        return result.get("service_response")

    async def ws(self, command: dict[str, Any]) -> Any:
        """Run one websocket command on a fresh connection; its result.

        Raises:
            HaError: when the command fails.
        """
        url = self.base_url.replace("http", "ws", 1) + "/api/websocket"
        async with self._session.ws_connect(url) as socket:
            await socket.receive_json()  # auth_required
            await socket.send_json({"type": "auth", "access_token": self.token})
            reply = await socket.receive_json()
            if reply.get("type") != "auth_ok":
                msg = f"websocket auth failed: {reply}"
                raise HaError(msg)
            await socket.send_json({"id": 1, **command})
            while True:
                reply = await socket.receive_json()
                if reply.get("id") == 1 and reply.get("type") == "result":
                    break
        if not reply.get("success"):
            msg = f"{command['type']}: {reply.get('error')}"
            raise HaError(msg)
        return reply.get("result")

    async def run_flow(self, kind: str, handler: Any, steps: list[dict[str, Any]]) -> Any:
        """Start a flow and submit ``steps`` in turn; the final result.

        Args:
            kind: ``flow`` (config), ``options/flow`` or ``subentries/flow``.
            handler: the domain, the entry id, or ``[entry_id, subentry_type]``.
            steps: the user input of each form, in order.

        Raises:
            HaError: when a form comes back with errors or the flow does not
                create an entry.
        """
        base = f"/api/config/config_entries/{kind}"
        result = await self.post(base, {"handler": handler, "show_advanced_options": False})
        for user_input in steps:
            if result.get("type") != "form":
                break
            result = await self.post(f"{base}/{result['flow_id']}", user_input)
            if result.get("type") == "form" and result.get("errors"):
                msg = f"{kind} {handler}: {result['errors']}"
                raise HaError(msg)
        if result.get("type") != "create_entry":
            msg = f"{kind} {handler} ended with {result}"
            raise HaError(msg)
        return result
