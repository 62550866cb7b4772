"""A tiny W3C WebDriver client (Python standard library only), enough to drive a Tauri window
through tauri-driver + WebKitWebDriver: sessions, elements, clicks, keys, text, screenshots.

    s = Session("http://127.0.0.1:4444", {"tauri:options": {"application": "/path/app"}})
    s.find("[data-testid=start-run]").click()
    s.delete()
"""

from __future__ import annotations

import base64
import json
import time
import http.client
import urllib.parse
from typing import Any, Callable, TypeVar

ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf"
T = TypeVar("T")


class WebDriverError(Exception):
    """A WebDriver command failed; `error` is the W3C error code ("no such element", ...)."""

    def __init__(self, error: str, message: str, where: str):
        super().__init__(f"{where}: {error}: {message}")
        self.error = error


class Session:
    def __init__(self, driver_url: str, capabilities: dict[str, Any], http_timeout: float = 120.0):
        u = urllib.parse.urlsplit(driver_url)
        self._host, self._port = u.hostname or "127.0.0.1", u.port or 4444
        self._conn: http.client.HTTPConnection | None = None
        self.http_timeout = http_timeout
        self.retries = 0  # requests sent again after tauri-driver dropped the connection
        started = time.monotonic()
        value = self._request("POST", "/session", {"capabilities": {"alwaysMatch": capabilities}})
        self.created_s = time.monotonic() - started
        self.id: str = value["sessionId"]
        self.capabilities: dict[str, Any] = value.get("capabilities", {})

    # -- transport ---------------------------------------------------------------------------
    # One persistent HTTP/1.1 connection. tauri-driver forwards each request, headers included, to
    # WebKitWebDriver over a pooled connection; a client that sends "Connection: close" (urllib
    # does) makes WebKitWebDriver close that upstream connection after every answer, and now and
    # then tauri-driver reuses it just as it closes: the request is lost and tauri-driver answers
    # by dropping ours. Keep-alive avoids that; a dropped connection is retried once (the request
    # never reached the native driver, so sending it again is safe).
    def _request(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else (b"{}" if method == "POST" else None)
        headers = {"Content-Type": "application/json; charset=utf-8"}
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self._host, self._port, timeout=self.http_timeout)
            try:
                self._conn.request(method, path, body=data, headers=headers)
                r = self._conn.getresponse()
                raw = r.read().decode("utf-8", errors="replace")
                if r.getheader("Connection", "").lower() == "close":
                    self._close()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.BadStatusLine) as e:
                self._close()
                if attempt == 2:
                    raise WebDriverError("connection lost", str(e), f"{method} {path}") from None
                self.retries += 1
        try:
            value = json.loads(raw).get("value") if raw else None
        except ValueError:
            raise WebDriverError(str(r.status), raw[:500], f"{method} {path}") from None
        if r.status >= 400:
            v = value if isinstance(value, dict) else {}
            raise WebDriverError(v.get("error", str(r.status)), str(v.get("message", raw))[:500], f"{method} {path}")
        return value

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def cmd(self, method: str, path: str, body: Any = None) -> Any:
        return self._request(method, f"/session/{self.id}{path}", body)

    # -- session -----------------------------------------------------------------------------
    def set_implicit_wait(self, seconds: float) -> None:
        self.cmd("POST", "/timeouts", {"implicit": int(seconds * 1000)})

    def delete(self) -> None:
        """Ends the session: the app is closed."""
        try:
            self.cmd("DELETE", "")
        finally:
            self._close()

    @property
    def title(self) -> str:
        return self.cmd("GET", "/title")

    @property
    def url(self) -> str:
        return self.cmd("GET", "/url")

    def execute(self, script: str, *args: Any) -> Any:
        """Runs `script` as a function body in the page (return a value with `return`)."""
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def screenshot(self, path: str) -> int:
        png = base64.b64decode(self.cmd("GET", "/screenshot"))
        with open(path, "wb") as f:
            f.write(png)
        return len(png)

    # -- elements ----------------------------------------------------------------------------
    def find(self, css: str) -> "Element":
        """The first element matching `css` (waits up to the implicit wait)."""
        return Element(self, self.cmd("POST", "/element", {"using": "css selector", "value": css})[ELEMENT_KEY], css)

    def find_all(self, css: str) -> list["Element"]:
        """Every element matching `css` (waits up to the implicit wait while there is none)."""
        found = self.cmd("POST", "/elements", {"using": "css selector", "value": css})
        return [Element(self, v[ELEMENT_KEY], css) for v in found]

    def testid(self, tid: str) -> "Element":
        return self.find(f'[data-testid="{tid}"]')


class Element:
    def __init__(self, session: Session, eid: str, css: str = ""):
        self.s, self.id, self.css = session, eid, css

    def _cmd(self, method: str, what: str, body: Any = None) -> Any:
        return self.s.cmd(method, f"/element/{self.id}{what}", body)

    @property
    def ref(self) -> dict[str, str]:
        """This element as a script argument."""
        return {ELEMENT_KEY: self.id}

    def scroll_into_view(self) -> None:
        """Scrolls this element to the middle of the view, clear of sticky headers and footers."""
        self.s.execute("arguments[0].scrollIntoView({block: 'center', inline: 'nearest'})", self.ref)

    def click(self) -> None:
        """WebDriver element click (a real click at the element's centre: refused when something
        covers it). The element is first scrolled to the middle of the view."""
        self.scroll_into_view()
        self._cmd("POST", "/click")

    def clear(self) -> None:
        self._cmd("POST", "/clear")

    def send_keys(self, text: str) -> None:
        self._cmd("POST", "/value", {"text": text})

    @property
    def text(self) -> str:
        return self._cmd("GET", "/text")

    def attr(self, name: str) -> str | None:
        return self._cmd("GET", f"/attribute/{name}")

    def prop(self, name: str) -> Any:
        return self._cmd("GET", f"/property/{name}")

    @property
    def selected(self) -> bool:
        return bool(self._cmd("GET", "/selected"))

    @property
    def enabled(self) -> bool:
        return bool(self._cmd("GET", "/enabled"))

    @property
    def displayed(self) -> bool:
        return bool(self._cmd("GET", "/displayed"))

    def find(self, css: str) -> "Element":
        return Element(self.s, self._cmd("POST", "/element", {"using": "css selector", "value": css})[ELEMENT_KEY], css)

    def find_all(self, css: str) -> list["Element"]:
        found = self._cmd("POST", "/elements", {"using": "css selector", "value": css})
        return [Element(self.s, v[ELEMENT_KEY], css) for v in found]

    def select_option(self, value: str) -> None:
        """Chooses the <option value=...> of this <select> by clicking it (fires input/change).
        An option has no box of its own: the <select> is what must be in view."""
        self.scroll_into_view()
        self.find(f'option[value="{value}"]')._cmd("POST", "/click")


def wait_for(what: str, check: Callable[[], T], timeout: float = 30.0, interval: float = 0.25) -> T:
    """Polls `check` until it returns something truthy; WebDriver errors (a stale or missing
    element while the UI re-renders) count as "not yet". Raises TimeoutError naming `what`."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            value = check()
            if value:
                return value
            last = value
        except WebDriverError as e:
            last = e
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")
        time.sleep(interval)
