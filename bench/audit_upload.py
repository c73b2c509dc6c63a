"""Benchmark what a stranger's upload to the public /audit page costs the server.

    .venv/bin/python bench/audit_upload.py [--megabytes 50]

Starts the app in a server process of its own (SQLite in a temporary folder, CSRF off, the
rate limit on as in production), then over real HTTP:

1. uploads a file of --megabytes (default 50) as the "published PDF", and prints the request
   time seen by the client and the server process's peak resident memory (VmHWM) and its
   growth over the request. Targets (issue 13, acceptance 4): under 1 s and under 200 MB.
2. uploads a file just under the size cap (MAX_UPLOAD) that fails the cheap checks, the most a
   stranger can make the request itself do, with the same measures;
3. sends nine small uploads after those two, eleven in all from one address within a minute,
   and prints their status codes: the 11th must be refused (429).
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BOUNDARY = "----decide-bench-boundary"


def serve(port: int, folder: Path) -> None:
    """Run the app on 127.0.0.1:port until killed (the server process)."""
    from werkzeug.serving import make_server

    from app import create_app
    from decide.extensions import db

    app = create_app(
        {
            "SECRET_KEY": "bench-secret-key",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": True,
            "RECEIPT_KEY_FILE": str(folder / "receipt_key.pem"),
            "AUDIT_JOBS_DIR": str(folder / "audit-jobs"),
        }
    )
    with app.app_context():
        db.create_all()
    make_server("127.0.0.1", port, app, threaded=False).serve_forever()


def memory(pid: int) -> tuple[int, int]:
    """Return the process's resident memory now and at its peak (VmRSS, VmHWM), in bytes."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) * 1024
    return values["VmRSS"], values["VmHWM"]


def upload(port: int, size: int, name: str = "upload.pdf") -> tuple[int, float]:
    """POST a file of `size` bytes as the PDF; return the status and the seconds it took."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="pdf"; filename="{name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    body_size = len(head) + size + len(tail)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    start = time.perf_counter()
    conn.putrequest("POST", "/audit")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={BOUNDARY}")
    conn.putheader("Content-Length", str(body_size))
    conn.endheaders()
    chunk = b"%PDF-1.7\n" + b"0" * (1024 * 1024 - 9)
    try:
        conn.send(head)
        left = size
        while left > 0:
            conn.send(chunk[: min(left, len(chunk))])
            left -= min(left, len(chunk))
        conn.send(tail)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered from the declared size and closed: read its answer
    try:
        response = conn.getresponse()
        response.read()
        status = response.status
    except (ConnectionResetError, http.client.RemoteDisconnected):
        status = 0
    seconds = time.perf_counter() - start
    conn.close()
    return status, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=50)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, Path(args.folder))
        return 0
    from decide.services.auditing import MAX_UPLOAD

    with tempfile.TemporaryDirectory() as folder:
        port = 20000 + os.getpid() % 20000
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(port), "--folder", folder], cwd=ROOT
        )
        try:
            for _ in range(300):
                try:
                    http.client.HTTPConnection("127.0.0.1", port, timeout=1).connect()
                    break
                except OSError:
                    time.sleep(0.1)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/audit")
            conn.getresponse().read()
            rss, peak = memory(server.pid)
            print(f"server after start: {rss / 2**20:.1f} MB resident, peak {peak / 2**20:.1f} MB")
            ok = True
            statuses = []
            cases = (
                (f"{args.megabytes} MB upload", args.megabytes * 1024 * 1024),
                (f"{(MAX_UPLOAD - 4096) / 2**20:.2f} MB upload (under the cap)", MAX_UPLOAD - 4096),
            )
            for label, size in cases:
                before, _ = memory(server.pid)
                status, seconds = upload(port, size)
                statuses.append(status)
                after, peak_after = memory(server.pid)
                growth = max(0, peak_after - max(before, peak))
                peak = max(peak, peak_after)
                fine = seconds < 1 and peak_after < 200 * 2**20
                ok = ok and fine
                print(
                    f"{label:<34} HTTP {status}  request {seconds:.3f} s  server peak "
                    f"{peak_after / 2**20:.1f} MB (grew {growth / 2**20:.1f} MB; resident "
                    f"{after / 2**20:.1f} MB)  {'OK' if fine else 'OVER TARGET'}"
                )
            # The two uploads above count: nine more make eleven in the minute.
            codes = statuses + [upload(port, 16, f"small-{i}.pdf")[0] for i in range(9)]
            print(f"11 uploads in a row from one address: {codes}")
            refused = codes[10] == 429 and 429 not in codes[:10]
            print(f"the 11th is refused: {'yes' if refused else 'NO'}")
            ok = ok and refused
        finally:
            server.kill()
            server.wait()
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
