"""`jit-agent config validate|show`: the JSON Schema and the loader agree on every example of
tests/data/config (valid and invalid), show prints the merged configuration with its sources, and
a YAML alias bomb is refused at once."""
import glob
import json
import os
import shutil
import sys
import tempfile
import time
import unittest

import jit_test_util as util

try:
    import jsonschema
    import yaml
except ImportError as e:  # python3-jsonschema / python3-yaml
    print(f"SKIP: {e.name} is not installed (apt-get install python3-jsonschema python3-yaml)")
    sys.exit(util.SKIP)

DATA = os.path.join(util.SOURCE_DIR, "tests", "data", "config")
SCHEMA = os.path.join(util.SOURCE_DIR, "schemas", "jit-config.schema.json")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def expectation(path):
    with open(path, encoding="utf-8") as f:
        first = f.readline().rstrip("\n")
    assert first.startswith("# expect: "), f"{path}: the first line must be '# expect: MESSAGE'"
    return first[len("# expect: "):]


class SchemaAndLoaderAgree(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(SCHEMA, encoding="utf-8") as f:
            schema = json.load(f)
        jsonschema.Draft7Validator.check_schema(schema)
        cls.validator = jsonschema.Draft7Validator(schema)

    def schema_valid(self, path):
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        # Lazily: the first error only (an alias bomb's message would print the expanded value).
        return next(iter(self.validator.iter_errors(doc)), None) is None

    def test_valid_examples(self):
        files = sorted(glob.glob(os.path.join(DATA, "valid", "*.yml")))
        self.assertGreaterEqual(len(files), 5)
        for path in files:
            with self.subTest(path=os.path.basename(path)):
                self.assertTrue(self.schema_valid(path), "the schema refuses it")
                proc = util.run_agent("config", "validate", "--layer", "central", path)
                self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
                self.assertIn(f"{path}: ok (central configuration, ", proc.stdout)

    def test_invalid_examples(self):
        files = sorted(glob.glob(os.path.join(DATA, "invalid", "*.yml")))
        self.assertGreaterEqual(len(files), 20)
        for path in files:
            with self.subTest(path=os.path.basename(path)):
                self.assertFalse(self.schema_valid(path), "the schema accepts it")
                proc = util.run_agent("config", "validate", path)
                self.assertEqual(proc.returncode, 2, proc.stdout + proc.stderr)
                self.assertIn(expectation(path), proc.stdout)
                self.assertTrue(proc.stdout.startswith(path + ":"), proc.stdout)

    def test_schema_examples(self):
        with open(SCHEMA, encoding="utf-8") as f:
            examples = json.load(f)["examples"]
        tmp = tempfile.mkdtemp(prefix="jit-config-cli-")
        try:
            for i, example in enumerate(examples):
                path = os.path.join(tmp, f"example{i}.yml")
                with open(path, "w", encoding="utf-8") as f:
                    json.dump(example, f)  # JSON is YAML
                proc = util.run_agent("config", "validate", "--layer", "central", path)
                self.assertEqual(proc.returncode, 0, proc.stdout)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class ValidateAndShow(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="jit-config-cli-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, rel, text):
        path = os.path.join(self.tmp, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_alias_bomb_refused_in_milliseconds(self):
        path = os.path.join(DATA, "invalid", "alias_bomb.yml")
        start = time.monotonic()
        proc = util.run_agent("config", "validate", path)
        took = time.monotonic() - start
        self.assertEqual(proc.returncode, 2, proc.stdout)
        self.assertRegex(proc.stdout, r"alias_bomb\.yml:\d+:\d+: too many aliases/nodes \(YAML alias bomb\?\)")
        self.assertLess(took, 2.0)
        # The same file as a repository layer and through `config show`.
        bomb = read(path)
        repo = self.write("repo/.jit/jit-config.yml", bomb)
        proc = util.run_agent("config", "validate", repo)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("too many aliases/nodes", proc.stdout)
        proc = util.run_agent("config", "show", "--target", os.path.join(self.tmp, "repo"))
        self.assertEqual(proc.returncode, 2)
        self.assertIn("too many aliases/nodes", proc.stderr)

    def test_repository_layer_and_rule_packs(self):
        repo = self.write("app/.jit/jit-config.yml", "scope: files\ncontrols:\n  bandit: false\n")
        proc = util.run_agent("config", "validate", repo)
        self.assertEqual(proc.returncode, 2)
        self.assertIn(f"{repo}:2:1: \"controls\" can only be set in the central configuration", proc.stdout)
        ok = self.write("other/.jit/jit-config.yml", "scope: files\nexclude: [vendor/**]\n")
        proc = util.run_agent("config", "validate", ok)
        self.assertEqual(proc.returncode, 0, proc.stdout)
        self.assertIn(f"{ok}: ok (repository configuration", proc.stdout)

        pack = os.path.join(util.SOURCE_DIR, "rules", "secrets", "adobe.yaml")
        proc = util.run_agent("config", "validate", pack)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertRegex(proc.stdout, r"adobe\.yaml: ok \(rule pack, \d+ rules\)")
        bad = self.write("pack.yaml", "rules:\n  - id: x\n    name: X\n    pattern: '('\n")
        proc = util.run_agent("config", "validate", bad)
        self.assertEqual(proc.returncode, 2)
        self.assertIn(f"{bad}:", proc.stdout)
        bomb = self.write("bomb.yaml", "rules: []\n" + read(os.path.join(DATA, "invalid", "alias_bomb.yml")))
        proc = util.run_agent("config", "validate", "--layer", "rules", bomb)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("too many aliases/nodes", proc.stdout)

    def test_several_files_and_the_default_files(self):
        good = os.path.join(DATA, "valid", "presets.yml")
        bad = os.path.join(DATA, "invalid", "unknown_top.yml")
        proc = util.run_agent("config", "validate", good, bad)
        self.assertEqual(proc.returncode, 2)
        self.assertIn(f"{good}: ok", proc.stdout)
        self.assertIn(f'{bad}:3:1: unknown key "fail-on" in the configuration (did you mean "fail_on"?)', proc.stdout)
        self.assertIn("1 valid, 1 invalid", proc.stdout)

        self.write("jit.yml", "fail_on: low\n")
        self.write(".jit/jit-config.yml", "scope: full\n")
        proc = util.run_agent("config", "validate", cwd=self.tmp)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("jit.yml: ok (central configuration, 6 controls", proc.stdout)
        self.assertIn(".jit/jit-config.yml: ok (repository configuration", proc.stdout)
        empty = os.path.join(self.tmp, "empty")
        os.makedirs(empty)
        proc = util.run_agent("config", "validate", cwd=empty)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("no FILE given", proc.stderr)

    def test_show_merges_and_names_sources(self):
        central = self.write("central/jit.yml",
                             "fail_on: low\ncontrols:\n  bandit: false\n  shellcheck: true\n"
                             "  semgrep:\n    command: semgrep\n    args: [--sarif, '${FOLDER}']\n    format: sarif\n")
        self.write("repo/.jit/jit-config.yml", "scope: full\nexclude: [vendor/**]\n")
        target = os.path.join(self.tmp, "repo")
        proc = util.run_agent("config", "show", "--config", central, "--target", target)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        shown = yaml.safe_load(proc.stdout)
        self.assertEqual(shown["fail_on"], "low")
        self.assertEqual(shown["scope"], "full")
        self.assertEqual(list(shown["controls"]), ["secrets", "dependencies", "bandit", "flawfinder", "shellcheck",
                                                   "eslint", "semgrep"])
        self.assertFalse(shown["controls"]["bandit"]["enabled"])
        self.assertEqual(shown["controls"]["semgrep"]["output"], "stdout")
        self.assertIn(f"fail_on: low  # {central}:1:10", proc.stdout)
        self.assertIn(f"scope: full  # {target}/.jit/jit-config.yml:1:8", proc.stdout)
        self.assertIn("bandit:  # disabled, " + central + ":3:3", proc.stdout)
        self.assertIn("shellcheck:  # required, " + central + ":4:3", proc.stdout)
        self.assertIn("eslint:  # automatic, preset", proc.stdout)
        self.assertIn("status:", proc.stdout)

        proc = util.run_agent("config", "show", "--json", "--config", central, "--target", target)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        j = json.loads(proc.stdout)
        self.assertEqual(j["config"]["controls"]["flawfinder"]["mode"], "automatic")
        self.assertEqual(j["config"]["controls"]["shellcheck"]["mode"], "required")
        self.assertEqual(j["config"]["controls"]["bandit"]["mode"], "disabled")
        self.assertEqual(j["sources"]["scope"], f"{target}/.jit/jit-config.yml:1:8")
        self.assertEqual(j["sources"]["min_confidence"], "default")
        self.assertEqual(j["files"], [central, f"{target}/.jit/jit-config.yml"])

        # Defaults only (an empty target): every preset automatic.
        proc = util.run_agent("config", "show", "--json", "--target", os.path.join(self.tmp, "central"))
        j = json.loads(proc.stdout)
        self.assertEqual({n: c["mode"] for n, c in j["config"]["controls"].items() if isinstance(c, dict)},
                         {"bandit": "automatic", "flawfinder": "automatic", "shellcheck": "automatic",
                          "eslint": "automatic"})

    def test_terminal_safe_output(self):
        path = self.write("jit.yml", "scope: diff\n\"sc\\e[31mope\": full\n")
        proc = util.run_agent("config", "validate", path)
        self.assertEqual(proc.returncode, 2)
        self.assertNotIn("\x1b", proc.stdout)
        self.assertIn("\\x1b[31m", proc.stdout)


if __name__ == "__main__":
    util.main()
