"""nginx as a foreground process in a private prefix directory: the minimal peer configuration, and a
main file that includes the configuration govsite writes (`manage.py nginx_config`).

Both run with the same main context (workers, events, logs, temp paths under the prefix, no access
log), so the only difference between the two measurements is what govsite's configuration adds.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

WORKER_PROCESSES = "auto"
MIME_TYPES = Path("/etc/nginx/mime.types")


def nginx_path() -> str:
    path = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if path is None:
        raise FileNotFoundError("nginx is not installed (Debian: apt-get install nginx-light)")
    return path


def main_config(prefix: Path, http_body: str) -> str:
    """A complete nginx.conf: foreground master, pid, logs and temp files under `prefix`."""
    temp_paths = "\n".join(
        f"    {name}_temp_path {prefix / ('tmp-' + name)};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    mime = f"    include {MIME_TYPES};\n" if MIME_TYPES.exists() else ""
    return f"""daemon off;
worker_processes {WORKER_PROCESSES};
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} warn;

events {{
    worker_connections 1024;
}}

http {{
{mime}    default_type application/octet-stream;
    access_log off;
{temp_paths}

{http_body}
}}
"""


def minimal_server(port: int, host: str, root: Path) -> str:
    """The peer: one server, the host's publish directory as root, sendfile."""
    return f"""    sendfile on;

    server {{
        listen 127.0.0.1:{port};
        server_name {host};
        root {root};
        index index.html;
    }}"""


def write_config(prefix: Path, http_body: str) -> Path:
    prefix.mkdir(parents=True, exist_ok=True)
    path = prefix / "nginx.conf"
    path.write_text(main_config(prefix, http_body))
    return path


def command(prefix: Path, config: Path) -> list[str]:
    return [nginx_path(), "-p", str(prefix), "-c", str(config), "-e", str(prefix / "error.log")]


def check_config(prefix: Path, config: Path) -> None:
    """`nginx -t`: fail with nginx's own message when the configuration does not load."""
    done = subprocess.run([*command(prefix, config), "-t"], capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise RuntimeError(f"nginx -t failed for {config}:\n{done.stderr}")


# --- govsite's generated configuration -------------------------------------------------------------------

_LISTEN = re.compile(r"^(\s*)listen\s+[^;]*;", re.M)


def rebind(config_text: str, port: int) -> str:
    """Point every `listen` of a generated server at 127.0.0.1:`port` (plain HTTP on loopback)."""
    return _LISTEN.sub(lambda match: f"{match.group(1)}listen 127.0.0.1:{port};", config_text)
