"""``esrgan-run serve``: run the web app with uvicorn, on 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import socket
from pathlib import Path

from esrgan_core.errors import ConfigError

log = logging.getLogger(__name__)
DEFAULT_ROOT = "experiments"


def configure(p: argparse.ArgumentParser) -> None:
    a = p.add_argument
    a("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    a("--port", type=int, default=7860, help="port (default 7860; 0 = any free port)")
    a("--root", default=DEFAULT_ROOT, help="the only folder the page can name: runs and model files (default experiments/)")
    a("--max-upload-mb", dest="max_upload_mb", type=float, default=100.0, help="largest upload in MB (default 100)")
    a("--max-pixels", dest="max_pixels", type=float, default=25.0, help="largest image in megapixels (default 25)")
    a("--work", help="folder for uploads and results (default: a temporary folder removed at exit)")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_ui() -> None:
    """ConfigError naming the extra when the web libraries are not installed."""
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise ConfigError("the web app needs starlette and uvicorn; pip install 'esrgan[ui]'", path="serve") from None


def handler(args: argparse.Namespace) -> int:
    require_ui()
    import uvicorn

    from esrgan_plugins.webui.app import LOOPBACK_HOSTS, build_app
    from esrgan_plugins.webui.uploads import Limits

    if args.max_upload_mb <= 0 or args.max_pixels <= 0:
        raise ConfigError("must be positive", path="max_upload_mb" if args.max_upload_mb <= 0 else "max_pixels")
    root = Path(args.root)
    if not root.exists() and args.root == DEFAULT_ROOT:
        root.mkdir(parents=True)
    if not root.is_dir():
        raise ConfigError(f"{args.root!r} is not a folder", path="root")
    if not is_loopback(args.host):
        log.warning("warning: serving on %s: anyone who can reach this address can use the page and read the "
                    "runs and model files under %s", args.host, root.resolve())
    limits = Limits(int(args.max_upload_mb * 1024 * 1024), int(args.max_pixels * 1_000_000))
    hosts = LOOPBACK_HOSTS if is_loopback(args.host) else ("*",)  # on another address the names it is reached by are unknown
    app = build_app(root, work=args.work, limits=limits, allowed_hosts=hosts)
    sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(128)  # connections wait from now on, even before uvicorn accepts them
    host, port = sock.getsockname()[:2]
    log.info("esrgan web app on http://%s:%d/ (root %s); Ctrl+C stops it", f"[{host}]" if ":" in host else host, port, root.resolve())
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, server_header=False))
    server.run(sockets=[sock])
    return 0
