"""The preview's web server: one page on loopback, and a stream that tells the page to reload.

Why the standard library (``http.server``): the preview serves one page to one analyst's browser on
the same machine; a framework would add a dependency and a start-up cost for nothing. What it must
get right is small and tested (tests/pipeline/test_preview.py):

- it listens on 127.0.0.1 only, so nothing on the network can reach it;
- it answers only requests whose ``Host`` is ``127.0.0.1:PORT`` or ``localhost:PORT`` (403 otherwise),
  so a web page elsewhere cannot read the preview through DNS rebinding (a name of its own that
  resolves to 127.0.0.1);
- every text it shows that came from outside (an error message, a file name, a value from a plan)
  is escaped, and the page carries a Content-Security-Policy that runs only its own reload script;
- a port already in use is said in one plain line (:class:`PreviewError`), not a traceback.

The page reloads itself through Server-Sent Events (``/events``): the server pushes the number of
the page it now has, and the page reloads when that number is not its own. Nothing polls.
"""
from __future__ import annotations

import errno
import html
import json
import logging
import re
import secrets
import socketserver
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..errors import KamError, Problem
from ..urls import mask_url

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
DEFAULT_PORT = 8765
#: Seconds between keep-alive comments on an idle event stream (a proxy or browser may drop a silent one).
KEEPALIVE = 15.0


class PreviewError(KamError):
    """The preview cannot start (its port is taken): one line for the analyst, exit 2."""


@dataclass(frozen=True)
class Shown:
    """One problem as the error page lists it: the file, where in it, and what is wrong."""

    file: str
    where: str       # "line 12", "line 4, column 'amount'", "cell 9, line 2"; empty when the whole file
    message: str

    @classmethod
    def of(cls, problem: Problem) -> Shown:
        """A settings, data or plan problem, with its line (``row``: 1-based, header = line 1) and column."""
        where = ", ".join(part for part in (f"line {problem.row}" if problem.row is not None else "",
                                            f"column '{problem.column}'" if problem.column is not None else "")
                          if part)
        value = "" if problem.value is None else f"value {mask_url(str(problem.value))[:80]!r}: "
        return cls(mask_url(problem.source), where, value + mask_url(problem.message))


class PageStore:
    """The page the preview shows now, numbered, and a way to wait until it changes.

    Written by the session (one thread), read by any number of request threads: every field is
    read and written under one condition, which also wakes the event streams."""

    def __init__(self, page: str):
        self._cond = threading.Condition()
        self._version = 1
        self._html = page
        self._busy = False
        self._closed = False

    def publish(self, page: str) -> int:
        """Show ``page`` from now on; every open page reloads. Returns its number."""
        with self._cond:
            self._version += 1
            self._html = page
            self._busy = False
            self._cond.notify_all()
            return self._version

    def set_busy(self, busy: bool) -> None:
        """Say on the open page that a new one is being made (a small badge), or that it is done."""
        with self._cond:
            if self._busy != busy:
                self._busy = busy
                self._cond.notify_all()

    def current(self) -> tuple[int, str]:
        with self._cond:
            return self._version, self._html

    def state(self) -> tuple[int, bool]:
        with self._cond:
            return self._version, self._busy

    def wait_change(self, seen: tuple[int, bool] | None, timeout: float) -> tuple[int, bool] | None:
        """The state once it differs from ``seen`` (at once if it already does); None after
        ``timeout`` seconds without a change, or when the store is closed."""
        end = time.monotonic() + timeout
        with self._cond:
            while not self._closed and (self._version, self._busy) == seen:
                remaining = end - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)
            return None if self._closed else (self._version, self._busy)

    @property
    def closed(self) -> bool:
        with self._cond:
            return self._closed

    def close(self) -> None:
        """End every event stream (the server is stopping)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()


# The page's side: reload when the server has a newer page; show a badge while one is being made.
# ``shown`` is the number of the page this copy is; the server sends its current number at once
# on connecting, so a page saved between the page's load and the stream's start is not missed.
_RELOAD_SCRIPT = """<script nonce="{nonce}">
(function () {{
  var shown = {version}, badge = null;
  var source = new EventSource("/events");
  source.onmessage = function (event) {{
    var state = JSON.parse(event.data);
    if (state.version !== shown) {{ source.close(); window.location.reload(); return; }}
    if (state.busy && !badge) {{
      badge = document.createElement("div");
      badge.id = "kam-preview-busy";
      badge.textContent = "Updating\\u2026";
      badge.style.cssText = "position:fixed;top:8px;right:8px;z-index:99999;padding:4px 10px;" +
        "font:12px sans-serif;background:#1f3b5c;color:#fff;border-radius:3px;opacity:.85";
      document.body.appendChild(badge);
    }} else if (!state.busy && badge) {{ badge.remove(); badge = null; }}
  }};
}})();
</script>
"""

_BODY_END_RE = re.compile(r"</body\s*>", re.IGNORECASE)


def with_reload_script(page: str, version: int, nonce: str) -> str:
    """The page as served: the pack's own HTML with the reload script before ``</body>``. The pack's
    file on disk is left as the build writes it (no script: packs open offline, anywhere)."""
    script = _RELOAD_SCRIPT.format(nonce=nonce, version=int(version))
    ends = list(_BODY_END_RE.finditer(page))
    if not ends:
        return page + script
    at = ends[-1].start()
    return page[:at] + script + page[at:]


def content_security_policy(nonce: str) -> str:
    """Only the reload script runs (by its nonce); images and fonts only from data: URLs, as in a
    pack; the only connection is the event stream back to this server."""
    return ("default-src 'none'; img-src data:; font-src data:; style-src 'unsafe-inline'; "
            f"script-src 'nonce-{nonce}'; connect-src 'self'; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'")


_PAGE_CSS = """
body { font: 15px/1.5 "Liberation Sans", "DejaVu Sans", Arial, sans-serif; color: #1d2530; margin: 2.5em auto;
       max-width: 60em; padding: 0 1.5em; }
h1 { font-size: 1.4em; color: #1f3b5c; margin-bottom: .3em; }
.what { color: #667080; margin-top: 0; }
ul.problems { list-style: none; padding: 0; }
ul.problems li { border-left: 4px solid #b3261e; background: #fbf1f0; padding: .6em .9em; margin: .6em 0; }
.file { font-family: "DejaVu Sans Mono", monospace; font-size: .92em; }
.where { color: #667080; }
.message { display: block; margin-top: .2em; white-space: pre-wrap; }
.note { color: #667080; }
"""


def error_page(title: str, problems: list[Shown], note: str) -> str:
    """The page shown while the pack cannot be made: each problem with its file, where in the file,
    and the message, every piece escaped (a message can quote anything, ``<script>`` included).
    No traceback: the analyst fixes the file and saves, and the pack comes back by itself."""
    esc = html.escape
    items = "\n".join(
        f'<li><span class="file">{esc(p.file)}</span>'
        + (f'<span class="where">, {esc(p.where)}</span>' if p.where else "")
        + f'<span class="message">{esc(p.message)}</span></li>'
        for p in problems)
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{esc(title)}</title>\n<style>{_PAGE_CSS}</style>\n</head>\n<body>\n"
            f"<h1>{esc(title)}</h1>\n<p class=\"what\">{len(problems)} problem{'s' if len(problems) != 1 else ''}"
            " to fix</p>\n"
            f"<ul class=\"problems\">\n{items}\n</ul>\n<p class=\"note\">{esc(note)}</p>\n</body>\n</html>\n")


def message_page(title: str, text: str) -> str:
    """A plain page (the first build is running)."""
    esc = html.escape
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{esc(title)}</title>\n<style>{_PAGE_CSS}</style>\n</head>\n<body>\n"
            f"<h1>{esc(title)}</h1>\n<p class=\"note\">{esc(text)}</p>\n</body>\n</html>\n")


class PreviewServer(ThreadingHTTPServer):
    """HTTP on 127.0.0.1:``port`` (0: any free port), serving ``store``'s page."""

    daemon_threads = True     # an open event stream never keeps the process alive

    def __init__(self, port: int, store: PageStore):
        self.store = store
        try:
            super().__init__((HOST, port), _Handler)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PreviewError(f"port {port} is in use; choose another with --port") from None
            if exc.errno == errno.EACCES:
                raise PreviewError(f"port {port} needs privileges to listen on; choose another with --port "
                                   "(1024 or above)") from None
            raise PreviewError(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}") from None
        self.allowed_hosts = {f"{HOST}:{self.port}", f"localhost:{self.port}"}

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's fully qualified name, a DNS query that can take
        # seconds on a machine without a resolver; the name is never used here.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = HOST, self.server_address[1]

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


class _Handler(BaseHTTPRequestHandler):
    server: PreviewServer
    server_version = "kamreports-preview"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
        log.debug("%s " + format, self.address_string(), *args)

    def _host_ok(self) -> bool:
        host = (self.headers.get("Host") or "").strip().lower()
        return host in self.server.allowed_hosts

    def _plain(self, status: int, text: str, head: bool = False) -> None:
        body = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self._common_headers()
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _common_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._answer(head=False)

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's name
        self._answer(head=True)

    def _answer(self, head: bool) -> None:
        if not self._host_ok():
            self._plain(403, f"Forbidden: this preview answers only requests for {self.server.url}\n", head)
            return
        path = self.path.split("?", 1)[0]
        if path in ("/", "/index.html"):
            self._page(head)
        elif path == "/events" and not head:
            self._events()
        else:
            self._plain(404, "Not found: the preview has one page, at /\n", head)

    def _page(self, head: bool) -> None:
        version, page = self.server.store.current()
        nonce = secrets.token_urlsafe(16)
        body = with_reload_script(page, version, nonce).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", content_security_policy(nonce))
        self._common_headers()
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _events(self) -> None:
        """Server-Sent Events: the current page's number at once, then each change, until the
        browser goes or the server stops; a comment line every KEEPALIVE seconds in between."""
        store = self.server.store
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self._common_headers()
        self.end_headers()
        seen: tuple[int, bool] | None = None
        try:
            self.wfile.write(b"retry: 1000\n\n")
            while True:
                state = store.wait_change(seen, KEEPALIVE)
                if store.closed:
                    return
                if state is None:
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    seen = state
                    data = json.dumps({"version": state[0], "busy": state[1]})
                    self.wfile.write(f"data: {data}\n\n".encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            return   # the page was closed or reloaded
