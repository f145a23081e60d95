"""The web app: a Starlette application serving one page and a small JSON API.

Every handler goes through :func:`api`, so a bad request (a refused path, a broken upload, an
invalid option) answers ``{"error": "one line"}`` with status 400 and anything unexpected a
one-line 500; the server never sends a traceback and keeps serving. Heavy work runs in the
single worker of :class:`~esrgan_plugins.webui.jobs.JobQueue`, so concurrent requests queue.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any, Awaitable, Callable

import attrs
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from esrgan_core.errors import EsrganError
from esrgan_core.plugins import PluginHost, load_plugins
from esrgan_plugins.webui.jobs import JobQueue, error_line
from esrgan_plugins.webui.paths import PathRefused
from esrgan_plugins.webui.uploads import Limits, UploadStore

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
REQUEST_HEADER = ("x-esrgan-page", "1")  # a custom header: a cross-site page cannot send it without CORS, which we never allow
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
                    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
                                               "style-src 'self'; script-src 'self'; connect-src 'self'"}


@attrs.define
class ServerState:
    """What every handler needs: the confined root, the server's work folder, uploads, the queue, plugins."""

    root: Path
    work: Path
    uploads: UploadStore
    jobs: JobQueue
    host: PluginHost
    limits: Limits

    def job_folder(self, job_id: str) -> Path:
        return self.work / "jobs" / job_id


Handler = Callable[[Request, ServerState], Awaitable[Any]]


def api(fn: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler: dict results become JSON; errors become one-line JSON messages."""

    @functools.wraps(fn)
    async def endpoint(request: Request) -> Response:
        state: ServerState = request.app.state.esrgan
        if request.method == "POST" and request.headers.get(REQUEST_HEADER[0]) != REQUEST_HEADER[1]:
            return JSONResponse({"error": f"requests that change anything need the {REQUEST_HEADER[0]} header (sent by the page)"},
                                status_code=403)
        try:
            result = await fn(request, state)
        except (EsrganError, PathRefused) as exc:
            return JSONResponse({"error": error_line(exc)}, status_code=400)
        except Exception as exc:  # one line for the page; the traceback only in the debug log
            log.debug("request %s failed", request.url.path, exc_info=True)
            return JSONResponse({"error": f"internal error: {error_line(exc)}"}, status_code=500)
        response = result if isinstance(result, Response) else JSONResponse(result)
        response.headers.update(SECURITY_HEADERS)
        return response

    return endpoint


async def read_json(request: Request) -> dict[str, Any]:
    """The request body as a JSON object (ConfigError otherwise)."""
    try:
        body = await request.json()
    except ValueError:
        raise EsrganError("the request body is not JSON") from None
    if not isinstance(body, dict):
        raise EsrganError("the request body must be a JSON object")
    return body


async def index(request: Request, state: ServerState) -> Response:
    return FileResponse(STATIC / "index.html", media_type="text/html")


def build_app(root: str | Path, *, work: str | Path | None = None, limits: Limits | None = None,
              host: PluginHost | None = None, allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS) -> Starlette:
    """The app serving ``root`` (which must exist). ``work`` holds uploads and results (default: a
    fresh temporary folder, removed when the app shuts down). Requests naming another ``Host`` than
    ``allowed_hosts`` are refused (no DNS rebinding onto 127.0.0.1)."""
    from esrgan_plugins.webui import views_compare, views_lab, views_runs, views_upscale

    root_path = Path(root).expanduser().resolve()
    if not root_path.is_dir():
        raise PathRefused(f"--root {root}: no such folder")
    own_work = work is None
    work_path = Path(tempfile.mkdtemp(prefix="esrgan-webui-")) if own_work else Path(work)
    limits = limits or Limits()
    state = ServerState(root_path, work_path, UploadStore(work_path / "uploads", limits), JobQueue(),
                        host or load_plugins(), limits)
    routes = [Route("/", api(index))]
    for module in (views_upscale, views_lab, views_runs, views_compare):
        routes += [Route(path, api(fn), methods=[method]) for method, path, fn in module.ROUTES]
    routes.append(Mount("/static", app=StaticFiles(directory=STATIC), name="static"))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        yield
        state.jobs.close()
        if own_work:
            shutil.rmtree(work_path, ignore_errors=True)

    app = Starlette(routes=routes, lifespan=lifespan,
                    middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts), www_redirect=False)])
    app.state.esrgan = state
    return app
