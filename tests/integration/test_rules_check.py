"""`jit-agent rules check|list`: examples must match, negatives must not, invalid packs exit 2."""
import os
import shutil
import tempfile
import unittest

import jit_test_util as util

DATA = os.path.join(util.SOURCE_DIR, "tests", "data", "rules")

PACK = """rules:
  - id: test-token
    name: Test token
    severity: high
    pattern: '\\b(?P<secret>tt_[0-9a-z]{12})\\b'
    examples:
      - 'TOKEN=tt_a1b2c3d4e5f6'
      - 'TOKEN=tt_short'
    negative_examples:
      - 'TOKEN=tt_zzzzzzzzzzzz'
      - 'TOKEN=tt_q9w8e7r6t5y4'
  - id: generic-test-token
    name: Generic token
    severity: low
    pattern: 'TOKEN=(\\S{10,})'
    examples: ['TOKEN=tt_a1b2c3d4e5f6']
"""


class RulesCheck(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="jit-rules-check-")
        self.env = {"JIT_CACHE_DIR": os.path.join(self.tmp, "cache")}

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_valid_fixtures_pass(self):
        r = util.run_agent("rules", "check", os.path.join(DATA, "valid"), env=self.env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("3 rules, 7 examples, 0 failures", r.stdout)

    def test_failures_are_listed_with_file_line_and_rule(self):
        path = self.write("pack.yaml", PACK)
        r = util.run_agent("rules", "check", path, env=self.env)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        lines = r.stdout.splitlines()
        self.assertIn(f"{path}:8: rule test-token: example did not match: TOKEN=tt_short", lines)
        self.assertIn(f"{path}:11: rule test-token: negative example matched: TOKEN=tt_q9w8e7r6t5y4", lines)
        # The generic rule's example is taken by the specific rule: said so on a note line.
        self.assertIn(f"{path}:16: rule generic-test-token: example did not match: TOKEN=tt_a1b2c3d4e5f6", lines)
        self.assertIn("  note: reported instead by: test-token", lines)
        # A rule without negative examples is untested against near misses: a failure too.
        self.assertIn(f"{path}:12: rule generic-test-token: has no negative example", lines)
        self.assertEqual(lines[-1], "2 rules, 5 examples, 4 failures")

    def test_invalid_pack_exits_2_with_position(self):
        r = util.run_agent("rules", "check", os.path.join(DATA, "invalid", "unknown_key.yaml"), env=self.env)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("unknown_key.yaml:7:5: unknown key 'colour'", r.stderr)
        r = util.run_agent("rules", "check", os.path.join(DATA, "invalid", "duplicate"), env=self.env)
        self.assertEqual(r.returncode, 2)
        self.assertIn("two.yaml:7:9: duplicate rule id 'same-id'", r.stderr)

    def test_warm_cache_is_reused(self):
        path = self.write("pack.yaml", PACK)
        util.run_agent("rules", "check", path, env=self.env)
        first = sorted(os.listdir(os.path.join(self.tmp, "cache", "hsdb")))
        r = util.run_agent("-vv", "rules", "check", path, env=self.env)
        self.assertIn("loaded from the compiled cache", r.stderr)
        self.assertEqual(sorted(os.listdir(os.path.join(self.tmp, "cache", "hsdb"))), first)

    def test_default_path_is_the_built_in_rules(self):
        r = util.run_agent("rules", "check", env=dict(self.env, JIT_RULES_DIR=os.path.join(DATA, "valid")))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("3 rules", r.stdout)

    def test_list(self):
        r = util.run_agent("rules", "list", os.path.join(DATA, "valid"), env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), 3)
        self.assertRegex(lines[1], r"^test-gitlab-pat\s+critical\s+GitLab personal access token$")

    def test_control_characters_in_examples_are_escaped(self):
        path = self.write("ml.yaml", """rules:
  - id: ml
    name: ML
    severity: low
    pattern: 'never(x)'
    examples: ["line one\\nline two\\u001b[31m"]
""")
        r = util.run_agent("rules", "check", path, env=self.env)
        self.assertEqual(r.returncode, 1)
        self.assertIn("example did not match: line one\\nline two\\x1b[31m", r.stdout)
        self.assertNotIn("\x1b", r.stdout)


if __name__ == "__main__":
    util.main()
