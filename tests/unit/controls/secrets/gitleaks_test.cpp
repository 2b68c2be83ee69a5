#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <fstream>
#include <re2/re2.h>

#include "agent/controls/secrets/gitleaks_ignore.h"
#include "agent/controls/secrets/gitleaks_import.h"
#include "agent/controls/secrets/regex_example.h"
#include "agent/controls/secrets/rule.h"

using namespace agent::controls::secrets;
using agent::findings::Finding;
namespace fs = std::filesystem;

TEST_CASE("gitleaksignore: both fingerprint forms, comments, bad lines") {
  std::vector<std::string> warnings;
  auto entries = parse_gitleaks_ignore(
      "api/ignoreGlobal.go:aws-access-key:20\n# test comment\n"
      "53cd7a3c6eb4937f413e3c25e4a9f39289afa69e:api/ignoreCommit.go:aws-access-key:20\n\n"
      "./a:b.txt:generic-api-key:3\ngarbage\n",
      ".gitleaksignore", warnings);
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].commit.empty());
  CHECK(entries[0].path == "api/ignoreGlobal.go");
  CHECK(entries[0].rule == "aws-access-key");
  CHECK(entries[0].line == 20);
  CHECK(entries[1].commit == "53cd7a3c6eb4937f413e3c25e4a9f39289afa69e");
  CHECK(entries[1].path == "api/ignoreCommit.go");
  CHECK(entries[2].path == "a:b.txt");  // a path may hold ':'
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].rfind(".gitleaksignore:6:", 0) == 0);

  auto finding = [](std::string path, std::string rule, int line, std::string commit = "") {
    Finding f;
    f.control = "secrets";
    f.path = std::move(path);
    f.rule_id = std::move(rule);
    f.line = line;
    f.commit = std::move(commit);
    return f;
  };
  std::vector<Finding> list = {finding("api/ignoreGlobal.go", "aws-access-key", 20),
                               finding("api/ignoreGlobal.go", "aws-access-key", 21),
                               finding("api/ignoreCommit.go", "aws-access-key", 20, "53cd7a3c6eb4937f413e3c25e4a9f39289afa69e"),
                               finding("api/ignoreCommit.go", "aws-access-key", 20, "ffffffffffffffffffffffffffffffffffffffff")};
  CHECK(apply_gitleaks_ignore(entries, list) == 2);
  REQUIRE(list.size() == 2);
  CHECK(list[0].line == 21);
  CHECK(list[1].commit.front() == 'f');
}

TEST_CASE("regex_example: generated strings match their regex") {
  for (const char* re : {"\\b(ghp_[0-9a-zA-Z]{36})\\b", "(?i)[\\w.-]{0,50}?(?:adafruit)(?:[ \\t\\w.-]{0,20})[\\s'\"]{0,3}"
                                                         "(?:=|>|:{1,3}=|\\|\\||:|=>|\\?=|,)[\\x60'\"\\s=]{0,5}([a-z0-9_-]{32})"
                                                         "(?:[\\x60'\"\\s;]|\\\\[nr]|$)",
                         "\\b(pat[[:alnum:]]{14}\\.[a-f0-9]{64})\\b", "AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
                         "(?:A3T[A-Z0-9]|AKIA|ASIA)[A-Z0-9]{16}", "x{2,}y+z*[^\\s]?"}) {
    RE2 compiled(re);
    REQUIRE(compiled.ok());
    for (unsigned attempt = 0; attempt < 5; ++attempt) {
      auto s = regex_example(re, attempt);
      REQUIRE(s);
      CAPTURE(re, *s);
      CHECK(RE2::PartialMatch(*s, compiled));
    }
  }
  CHECK_FALSE(regex_example("(a)\\1", 0));
}

TEST_CASE("regex_example: secretGroup becomes the named group") {
  CHECK(name_secret_group("(a)(?:b)(c)", 2) == "(a)(?:b)(?P<secret>c)");
  CHECK(name_secret_group("[(](x)", 1) == "[(](?P<secret>x)");
  CHECK(name_secret_group("(?P<k>a)(b)", 1) == "(?P<secret>a)(b)");
  CHECK_FALSE(name_secret_group("(a)", 2));
}

TEST_CASE("import_gitleaks: a small config becomes a loadable pack") {
  const fs::path dir = fs::temp_directory_path() / "jit-gitleaks-import-test";
  fs::create_directories(dir);
  {
    std::ofstream(dir / "base.toml") << "[[rules]]\nid = \"base-token\"\nregex = '''\\b(bt_[a-z0-9]{30})\\b'''\n"
                                        "keywords = [\"bt_\"]\n";
    std::ofstream(dir / "gl.toml")
        << "[extend]\npath = \"base.toml\"\n"
           "[[rules]]\nid = \"Acme.Key\"\ndescription = \"ACME\"\nregex = '''acme_(?P<k>[A-Z0-9]{20})'''\nsecretGroup = 1\n"
           "[[rules.allowlists]]\nstopwords = [\"test\"]\npaths = ['''x''']\n"
           "[[rules]]\nid = \"only-path\"\npath = '''\\.pem$'''\n"
           "[[rules]]\nid = \"bad\"\nregex = '''(a)\\1'''\n";
  }
  auto result = import_gitleaks(dir / "gl.toml", {});
  CHECK(result.total == 4);
  CHECK(result.imported == 2);
  CHECK(result.skipped.size() == 2);
  RuleSet rules = load_rules_from_string(result.yaml, "pack.yaml");
  REQUIRE(rules.rules.size() == 2);
  CHECK(rules.rules[0].id == "base-token");
  CHECK(rules.rules[1].id == "acme-key");
  CHECK(rules.rules[1].pattern == "acme_(?P<secret>[A-Z0-9]{20})");
  CHECK(rules.rules[1].allow == std::vector<std::string>{"(?i)(?:test)"});
  CHECK(rules.rules[1].examples.size() >= 1);
  CHECK(rules.rules[1].negative_examples.size() == 2);
  CHECK(std::any_of(result.notes.begin(), result.notes.end(),
                    [](const std::string& n) { return n.find("allowlist paths dropped") != std::string::npos; }));
  fs::remove_all(dir);
}
