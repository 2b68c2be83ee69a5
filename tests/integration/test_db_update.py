"""`jit-agent db update` against a local HTTP server on 127.0.0.1 that serves <Ecosystem>/all.zip
with ETag and Last-Modified: conditional requests, atomic replacement, failures per ecosystem."""
import hashlib
import http.server
import os
import shutil
import sqlite3
import sys
import tempfile
import threading
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from jit_test_util import SHARED_DATA, main, require_shared_data, run_agent  # noqa: E402

OSV_DB = os.path.join(SHARED_DATA, "osv-db")


class ExportServer:
    """Serves files from `root`; answers If-None-Match / If-Modified-Since with 304."""

    def __init__(self, root):
        self.root = root
        self.requests = []  # (path, if-none-match, if-modified-since)
        self.fail = set()   # ecosystems answered with 500
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append((self.path, self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")))
                eco = self.path.strip("/").split("/")[0]
                if eco in server.fail:
                    self.send_error(500)
                    return
                path = os.path.join(server.root, self.path.lstrip("/"))
                if not os.path.isfile(path):
                    self.send_error(404)
                    return
                with open(path, "rb") as f:
                    data = f.read()
                etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
                modified = "Wed, 21 Oct 2015 07:28:00 GMT"
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/zip")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", modified)
                self.end_headers()
                self.wfile.write(data)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def make_zip(path, folder, limit):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    names = sorted(n for n in os.listdir(folder) if n.endswith(".json"))[:limit]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n in names:
            z.write(os.path.join(folder, n), n)
    return names


def advisory_ids(db):
    with sqlite3.connect(os.path.join(db, "osv.db")) as con:
        return {row[0] for row in con.execute("SELECT id FROM advisories")}


class DbUpdateTest(unittest.TestCase):
    def setUp(self):
        require_shared_data()
        self.tmp = tempfile.mkdtemp(prefix="jit-db-update-")
        self.db = os.path.join(self.tmp, "db")
        self.www = os.path.join(self.tmp, "www")
        self.pypi = make_zip(os.path.join(self.www, "PyPI", "all.zip"), os.path.join(OSV_DB, "PyPI"), 300)
        self.go = make_zip(os.path.join(self.www, "Go", "all.zip"), os.path.join(OSV_DB, "Go"), 200)
        self.server = ExportServer(self.www)

    def tearDown(self):
        self.server.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def update(self, *args):
        return run_agent("db", "--db", self.db, "update", "--base-url", self.server.url, *args)

    def test_download_then_not_modified_then_changed(self):
        r = self.update("--ecosystem", "PyPI", "--ecosystem", "Go")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("PyPI: 300 records", r.stdout)
        self.assertIn("Go: 200 records", r.stdout)
        self.assertEqual([q[1] for q in self.server.requests], [None, None])
        ids = advisory_ids(self.db)
        self.assertEqual(len(ids), 500)

        # Second run: no --ecosystem (the ecosystems already in the database), conditional GETs.
        self.server.requests.clear()
        r = self.update()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.count("not modified"), 2, r.stdout)
        self.assertEqual(sorted(q[0] for q in self.server.requests), ["/Go/all.zip", "/PyPI/all.zip"])
        self.assertTrue(all(q[1] and q[2] for q in self.server.requests), self.server.requests)
        self.assertEqual(advisory_ids(self.db), ids)

        # The export shrinks: records no longer in it disappear (the ecosystem is replaced whole).
        make_zip(os.path.join(self.www, "PyPI", "all.zip"), os.path.join(OSV_DB, "PyPI"), 100)
        r = self.update("--ecosystem", "PyPI")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("PyPI: 100 records", r.stdout)
        ids = advisory_ids(self.db)
        self.assertEqual(len(ids), 300)
        self.assertNotIn(self.pypi[200].removesuffix(".json"), ids)
        self.assertEqual(sorted(os.listdir(self.db)), ["osv.db"])

        st = run_agent("db", "--db", self.db, "status")
        self.assertEqual(st.returncode, 0, st.stderr)
        self.assertRegex(st.stdout, r"PyPI\s+\d+\s+update, checked")

    def test_a_failing_ecosystem_does_not_lose_the_others(self):
        r = self.update("--ecosystem", "PyPI", "--ecosystem", "Go")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.server.fail.add("PyPI")
        make_zip(os.path.join(self.www, "Go", "all.zip"), os.path.join(OSV_DB, "Go"), 50)
        r = self.update("--ecosystem", "PyPI", "--ecosystem", "Go")
        self.assertEqual(r.returncode, 3)
        self.assertIn("PyPI", r.stderr)
        self.assertIn("HTTP 500", r.stderr)
        ids = advisory_ids(self.db)
        self.assertEqual(len(ids), 350)  # PyPI kept as it was, Go replaced by the new export

    def test_missing_export_and_unreachable_server(self):
        r = self.update("--ecosystem", "crates.io")
        self.assertEqual(r.returncode, 3)
        self.assertIn("HTTP 404", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.db, "osv.db")))  # nothing fetched: no empty database
        r = run_agent("db", "--db", self.db, "update", "--base-url", "http://127.0.0.1:1", "--ecosystem", "Go")
        self.assertEqual(r.returncode, 3)
        self.assertIn("download of http://127.0.0.1:1/Go/all.zip failed", r.stderr)


if __name__ == "__main__":
    main()
