"""A real nginx (Debian package `nginx`) with the cache of docs/deploy.md, in front of a
gunicorn already listening: for `make bench` and for tests/test_nginx_cache.py.

The `server` part below is the one docs/deploy.md shows; only the paths (a throwaway
directory instead of /var/cache/nginx and /var/log/nginx) and the ports differ.
"""

from __future__ import annotations

import getpass
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

# What docs/deploy.md tells operators to put in `http {}`: the cache, the language a page is
# cached under (the same rule as the app's: the first of our languages the browser names,
# else the default), and the app's address.
HTTP_PART = r"""
map $http_accept_language $campaign_language {
    default         en;
    "~*^\s*fr"      fr;
    "~*^\s*en"      en;
    "~*(^|,)\s*fr"  fr;
}
upstream campaign { server 127.0.0.1:{app_port}; keepalive 32; }
"""

# ... and in `server {}`.
SERVER_PART = r"""
    client_max_body_size 64k;
    # A slow client ties up nginx, never a gunicorn worker: nginx reads the whole request
    # before passing it on, and gives up on clients that dawdle.
    client_header_timeout 10s;
    client_body_timeout 10s;
    send_timeout 30s;
    keepalive_timeout 15s;
    proxy_request_buffering on;
    proxy_buffering on;

    location / {
        proxy_pass http://campaign;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        # The app sees only the language the page is cached under, so the cache key
        # (URL + language) covers everything the public page depends on.
        proxy_set_header Accept-Language $campaign_language;

        # Only responses the app marks `Cache-Control: public` are kept (the campaign
        # page and its JSON, 30 s); every other page is `no-store` or says nothing.
        proxy_cache campaign;
        proxy_cache_key $scheme$host$request_uri$campaign_language;
        proxy_ignore_headers Vary;
        proxy_cache_lock on;
        proxy_cache_use_stale updating error timeout http_500 http_502 http_503 http_504;
        proxy_cache_background_update on;
        add_header X-Cache-Status $upstream_cache_status always;
    }
"""


def config(workdir: Path, listen_port: int, app_port: int, workers: int = 1) -> str:
    paths = {
        name: workdir / name for name in ("cache", "body", "proxy", "fastcgi", "uwsgi", "scgi")
    }
    for path in paths.values():
        path.mkdir(parents=True, exist_ok=True)
    return f"""
user {getpass.getuser()};
worker_processes {workers};
pid {workdir / "nginx.pid"};
error_log {workdir / "error.log"} warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {paths["body"]};
    proxy_temp_path {paths["proxy"]};
    fastcgi_temp_path {paths["fastcgi"]};
    uwsgi_temp_path {paths["uwsgi"]};
    scgi_temp_path {paths["scgi"]};
    proxy_cache_path {paths["cache"]} keys_zone=campaign:10m max_size=100m inactive=10m
                     use_temp_path=off;
    {HTTP_PART.replace("{app_port}", str(app_port))}
    server {{
        listen 127.0.0.1:{listen_port};
        {SERVER_PART}
    }}
}}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def nginx_in_front(app_base: str, workdir: Path, workers: int = 1) -> Iterator[str]:
    """nginx with the cache, proxying to `app_base` (http://127.0.0.1:PORT); yields its URL."""
    if NGINX is None:
        raise RuntimeError("nginx is not installed: apt-get install nginx")
    app_port = int(app_base.rsplit(":", 1)[1])
    port = _free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    conf = workdir / "nginx.conf"
    conf.write_text(config(workdir, port, app_port, workers))
    process = subprocess.Popen(
        [
            NGINX,
            "-e",
            str(workdir / "error.log"),
            "-p",
            str(workdir),
            "-c",
            str(conf),
            "-g",
            "daemon off;",
        ],
        stderr=subprocess.DEVNULL,  # it logs to error.log in `workdir`
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            if process.poll() is not None:
                log = (workdir / "error.log").read_text(errors="replace")
                raise RuntimeError(f"nginx did not start:\n{log}")
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("nginx did not answer")
        yield base
    finally:
        process.send_signal(signal.SIGQUIT)  # graceful: finish what is in flight
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
