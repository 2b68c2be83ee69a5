"""`jit-agent db import|status`: real OSV data (PyPI, Go), zip exports, malformed records skipped."""
import os
import shutil
import sqlite3
import sys
import tempfile
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from jit_test_util import SHARED_DATA, main, require_shared_data, run_agent  # noqa: E402

OSV_DB = os.path.join(SHARED_DATA, "osv-db")
EXAMPLES = os.path.join(SHARED_DATA, "osv", "examples")


class DbImportTest(unittest.TestCase):
    def setUp(self):
        require_shared_data()
        self.tmp = tempfile.mkdtemp(prefix="jit-db-import-")
        self.db = os.path.join(self.tmp, "db")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_real_databases_import_and_status(self):
        r = run_agent("-v", "db", "--db", self.db, "import", os.path.join(OSV_DB, "PyPI"), os.path.join(OSV_DB, "Go"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("imported", r.stdout)
        records = int(r.stdout.split("imported ")[1].split()[0])
        self.assertGreaterEqual(records, 6900)
        # PYSEC-2024-55 carries "modified": "1-01-01T00:00:00Z": skipped, named, import goes on.
        self.assertIn("PYSEC-2024-55.json: record skipped", r.stderr)
        self.assertEqual(sorted(os.listdir(self.db)), ["osv.db"])  # no temp file left behind
        st = run_agent("db", "--db", self.db, "status")
        self.assertEqual(st.returncode, 0, st.stderr)
        self.assertRegex(st.stdout, r"Go\s+4\d\d\d\s+import")
        self.assertRegex(st.stdout, r"PyPI\s+2\d\d\d\s+import")
        self.assertIn("withdrawn", st.stdout)

    def test_examples_with_malformed_records(self):
        r = run_agent("db", "--db", self.db, "import", EXAMPLES)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('"4.36.-1"', r.stderr)  # the malformed version is reported, the record kept
        with sqlite3.connect(os.path.join(self.db, "osv.db")) as con:
            ids = {row[0] for row in con.execute("SELECT id FROM advisories")}
        self.assertIn("GHSA-9v2f-6vcg-3hgv", ids)

    def test_zip_export_with_a_broken_entry(self):
        zpath = os.path.join(self.tmp, "all.zip")
        names = sorted(os.listdir(os.path.join(OSV_DB, "Go")))[:50]
        with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as z:
            for n in names:
                z.write(os.path.join(OSV_DB, "Go", n), n)
            z.writestr("GO-9999-0001.json", '{"id": "GO-9999-0001", "modified": "2024-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "Go", "name": "x"}, "ranges": [{"type": "SEMVER", "events": [{"fixed": "1.0.0"}]}]}]}')
            z.writestr("truncated.json", '{"id": "GO-9999-0002", "modi')
        r = run_agent("db", "--db", self.db, "import", zpath)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("imported 50 records from 52 files", r.stdout)
        self.assertIn("all.zip:GO-9999-0001.json: record skipped", r.stderr)
        self.assertIn("all.zip:truncated.json:1:", r.stderr)

    def test_reimport_replaces_records_and_keeps_one_copy(self):
        path = os.path.join(OSV_DB, "Go")
        for _ in range(2):
            r = run_agent("db", "--db", self.db, "import", path)
            self.assertEqual(r.returncode, 0, r.stderr)
        with sqlite3.connect(os.path.join(self.db, "osv.db")) as con:
            n = con.execute("SELECT COUNT(*) FROM advisories").fetchone()[0]
        self.assertEqual(n, len([f for f in os.listdir(path) if f.endswith(".json")]))

    def test_default_folder_comes_from_the_environment(self):
        r = run_agent("db", "import", EXAMPLES, env={"JIT_DB_DIR": self.db})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.isfile(os.path.join(self.db, "osv.db")))
        cache = os.path.join(self.tmp, "cache")
        env = {"JIT_DB_DIR": "", "XDG_CACHE_HOME": cache}
        r = run_agent("db", "import", EXAMPLES, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.isfile(os.path.join(cache, "jit-agent", "osv", "osv.db")))

    def test_missing_database_and_missing_input(self):
        st = run_agent("db", "--db", self.db, "status")
        self.assertEqual(st.returncode, 3)
        self.assertIn(f"no OSV database at {self.db}: run `jit-agent db import` or `jit-agent db update`", st.stderr)
        r = run_agent("db", "--db", self.db, "import", os.path.join(self.tmp, "nope.json"))
        self.assertEqual(r.returncode, 3)
        self.assertIn("nope.json", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.db, "osv.db")))


if __name__ == "__main__":
    main()
