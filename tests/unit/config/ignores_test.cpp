#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "agent/config/ignores.h"
#include "agent/util/error.h"

using namespace agent;
using Catch::Matchers::ContainsSubstring;
using config::parse_ignores;

namespace {

const std::string kFp = "722c0a28b9ba6f0e8c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b";

findings::Finding secret(std::string rule, std::string path, std::string fp) {
  findings::Finding f;
  f.control = "secrets";
  f.rule_id = std::move(rule);
  f.path = std::move(path);
  f.line = 3;
  f.fingerprint = std::move(fp);
  return f;
}

findings::Finding advisory(std::string id, std::vector<std::string> aliases, std::string package) {
  findings::Finding f;
  f.control = "dependencies";
  f.rule_id = id;
  f.path = "requirements.txt";
  f.fingerprint = std::string(64, 'b');
  findings::DependencyDetail d;
  d.advisory_id = std::move(id);
  d.aliases = std::move(aliases);
  d.package = std::move(package);
  f.dependency = d;
  return f;
}

std::string error_of(const std::string& yaml) {
  try {
    parse_ignores(yaml, "ignores.yml");
  } catch (const util::UsageError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("ignores.yml: the documented entry kinds parse", "[ignores]") {
  auto ig = parse_ignores(
      "# reviewed by the security team\n"
      "ignores:\n"
      "  - fingerprint: " + kFp + "\n"
      "    reason: false_positive\n"
      "    comment: \"test fixture key, revoked\"\n"
      "    project: group/app\n"
      "    author: {username: dev, id: 7}\n"
      "    created: 2026-12-01T10:00:00Z\n"
      "    expires: 2027-03-01\n"
      "  - rule: generic-password\n"
      "    path: \"**/testdata/**\"\n"
      "    reason: accepted_risk\n"
      "  - advisory: GHSA-xxxx-xxxx-xxxx\n"
      "    package: django\n"
      "    reason: accepted_risk\n",
      "ignores.yml");
  REQUIRE(ig.entries.size() == 3);
  CHECK(ig.entries[0].fingerprint == kFp);
  CHECK(ig.entries[0].author_username == "dev");
  CHECK(ig.entries[0].author_id == 7);
  CHECK(ig.entries[0].expires == "2027-03-01");
  CHECK(ig.entries[0].line == 3);
  CHECK(ig.entries[0].source == "ignores.yml:3");
  CHECK(ig.entries[1].rule == "generic-password");
  CHECK(ig.entries[2].reason == config::IgnoreReason::accepted_risk);
  CHECK(parse_ignores("", "x").entries.empty());
  CHECK(parse_ignores("ignores: []\n", "x").entries.empty());
  CHECK(parse_ignores("ignores:\n", "x").entries.empty());
}

TEST_CASE("ignores.yml: every mistake is reported with file:line:col", "[ignores]") {
  CHECK_THAT(error_of("ignores:\n  - fingerprint: " + kFp + "\n    reson: false_positive\n"),
             ContainsSubstring("ignores.yml:3:5: unknown key \"reson\"") && ContainsSubstring("did you mean \"reason\""));
  CHECK_THAT(error_of("ignores:\n  - rule: x\n    reason: fp\n"),
             ContainsSubstring("ignores.yml:3:13: ignores[0].reason: expected false_positive or accepted_risk"));
  CHECK_THAT(error_of("ignores:\n  - rule: x\n"), ContainsSubstring("reason is required"));
  CHECK_THAT(error_of("ignores:\n  - rule: x\n    advisory: y\n    reason: accepted_risk\n"),
             ContainsSubstring("exactly one of fingerprint, rule"));
  CHECK_THAT(error_of("ignores:\n  - fingerprint: not-hex\n    reason: accepted_risk\n"),
             ContainsSubstring("ignores.yml:2:18:"));
  CHECK_THAT(error_of("ignores:\n  - rule: x\n    reason: accepted_risk\n    expires: next week\n"),
             ContainsSubstring("ignores.yml:4:14: ignores[0].expires: expected a date"));
  CHECK_THAT(error_of("ignores:\n  - rule: x\n    package: y\n    reason: accepted_risk\n"),
             ContainsSubstring("package: only with advisory"));
  CHECK_THAT(error_of("ignored: []\n"), ContainsSubstring("did you mean \"ignores\""));
  CHECK_THAT(error_of("ignores:\n  - fingerprint: " + kFp + "\n    reason: accepted_risk\n  - fingerprint: " + kFp +
                      "\n    reason: false_positive\n"),
             ContainsSubstring("already ignored"));
  // Two bad entries: both reported.
  const std::string two = error_of("ignores:\n  - rule: x\n    reason: bad\n  - rule: y\n    reason: worse\n");
  CHECK_THAT(two, ContainsSubstring(":3:") && ContainsSubstring(":5:"));
  // An alias bomb is refused.
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'j'; ++c, ++prev)
    bomb += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
            ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n";
  CHECK_THAT(error_of(bomb), ContainsSubstring("alias"));
}

TEST_CASE("ignores: matching by fingerprint, rule and path, advisory and project", "[ignores]") {
  auto ig = parse_ignores(
      "ignores:\n"
      "  - fingerprint: " + kFp + "\n    reason: false_positive\n    project: group/app\n"
      "  - rule: generic-password\n    path: \"**/testdata/**\"\n    reason: accepted_risk\n"
      "  - advisory: CVE-2023-1234\n    package: Django\n    reason: accepted_risk\n",
      "ignores.yml");
  const auto& byfp = ig.entries[0];
  CHECK(config::matches(byfp, secret("aws", "a.txt", kFp), "group/app"));
  CHECK(config::matches(byfp, secret("aws", "a.txt", kFp), ""));  // local scans have no project
  CHECK_FALSE(config::matches(byfp, secret("aws", "a.txt", kFp), "group/other"));
  CHECK_FALSE(config::matches(byfp, secret("aws", "a.txt", std::string(64, 'c')), "group/app"));
  const auto& byrule = ig.entries[1];
  CHECK(config::matches(byrule, secret("generic-password", "svc/testdata/x.env", "1"), "p"));
  CHECK_FALSE(config::matches(byrule, secret("generic-password", "svc/src/x.env", "1"), "p"));
  CHECK_FALSE(config::matches(byrule, secret("other", "svc/testdata/x.env", "1"), "p"));
  const auto& byadv = ig.entries[2];
  CHECK(config::matches(byadv, advisory("GHSA-aaaa-bbbb-cccc", {"CVE-2023-1234"}, "django"), "p"));
  CHECK(config::matches(byadv, advisory("cve-2023-1234", {}, "DJANGO"), "p"));
  CHECK_FALSE(config::matches(byadv, advisory("GHSA-aaaa-bbbb-cccc", {"CVE-2023-1234"}, "flask"), "p"));
  CHECK_FALSE(config::matches(byadv, secret("CVE-2023-1234", "a", "1"), "p"));
}

TEST_CASE("ignores: applied findings move to `ignored`; an expired entry warns and applies no more", "[ignores]") {
  auto ig = parse_ignores("ignores:\n"
                          "  - fingerprint: " + kFp + "\n    reason: false_positive\n    comment: fixture\n"
                          "    author: {username: dev}\n"
                          "  - rule: old-rule\n    reason: accepted_risk\n    expires: 2026-01-31\n",
                          "ignores.yml");
  findings::ScanResult r;
  r.findings = {secret("aws", "a.txt", kFp), secret("old-rule", "b.txt", std::string(64, 'd')),
                secret("other", "c.txt", std::string(64, 'e'))};
  CHECK(config::apply_ignores(ig, r, "group/app", "2026-12-02") == 1);
  REQUIRE(r.ignored.size() == 1);
  REQUIRE(r.ignored[0].suppression);
  CHECK(r.ignored[0].suppression->reason == "false_positive");
  CHECK(r.ignored[0].suppression->comment == "fixture");
  CHECK(r.ignored[0].suppression->author == "@dev");
  CHECK(r.ignored[0].suppression->source == "ignores.yml:2");
  CHECK(r.findings.size() == 2);
  REQUIRE(r.warnings.size() == 1);
  CHECK_THAT(r.warnings[0], ContainsSubstring("ignores.yml:6") && ContainsSubstring("expired on 2026-01-31"));
  // Before its expiry the same entry applies.
  findings::ScanResult early;
  early.findings = {secret("old-rule", "b.txt", std::string(64, 'd'))};
  CHECK(config::apply_ignores(ig, early, "", "2026-01-31") == 1);
}

TEST_CASE("ignores: add and remove are minimal textual edits", "[ignores]") {
  const std::string original =
      "# Ignores reviewed by the security team.\n"
      "ignores:\n"
      "  # a revoked fixture key\n"
      "  - fingerprint: " + kFp + "\n"
      "    reason: false_positive   # revoked 2026-11\n"
      "  # testdata is fake\n"
      "  - rule: generic-password\n"
      "    path: \"**/testdata/**\"\n"
      "    reason: accepted_risk\n"
      "# end of file\n";
  config::IgnoreEntry e;
  e.fingerprint = std::string(64, 'a');
  e.reason = config::IgnoreReason::accepted_risk;
  e.comment = "a \"quoted\" comment: with colon\nand newline";
  e.author_username = "dev";
  e.author_id = 7;
  const std::string added = config::add_ignore_text(original, e, "ignores.yml");
  CHECK(added.rfind(original.substr(0, original.find("# end of file")), 0) == 0);  // everything before kept
  CHECK_THAT(added, ContainsSubstring("  - fingerprint: \"" + std::string(64, 'a') + "\"\n    reason: accepted_risk\n"));
  CHECK(added.substr(added.size() - 14) == "# end of file\n");
  auto parsed = parse_ignores(added, "ignores.yml");
  REQUIRE(parsed.entries.size() == 3);
  CHECK(parsed.entries[2].comment == e.comment);
  CHECK(parsed.entries[2].author_id == 7);

  auto removed = config::remove_ignore_text(added, kFp, "ignores.yml");
  REQUIRE(removed);
  CHECK_THAT(*removed, !ContainsSubstring("revoked fixture key") && !ContainsSubstring(kFp));
  CHECK_THAT(*removed, ContainsSubstring("# Ignores reviewed by the security team.\nignores:\n  # testdata is fake\n"));
  CHECK(parse_ignores(*removed, "ignores.yml").entries.size() == 2);
  CHECK_FALSE(config::remove_ignore_text(*removed, kFp, "ignores.yml"));
  // Removing the last entry keeps the file's trailing comment.
  auto last = config::remove_ignore_text(added, std::string(64, 'a'), "ignores.yml");
  REQUIRE(last);
  CHECK(*last == original);

  // An absent list, an empty file and an empty flow list all become a block list.
  CHECK(parse_ignores(config::add_ignore_text("", e, "x"), "x").entries.size() == 1);
  CHECK(parse_ignores(config::add_ignore_text("# header\n", e, "x"), "x").entries.size() == 1);
  // So does an explicit null or empty document, comments kept (fuzz regression: "~" became
  // "~\nignores:", which is invalid YAML).
  for (const char* empty : {"~", "null\n", "# top\n---\n~\n...\n", "{}\n"}) {
    const std::string added_to_empty = config::add_ignore_text(empty, e, "x");
    CHECK(parse_ignores(added_to_empty, "x").entries.size() == 1);
  }
  CHECK(config::add_ignore_text("# top\n~\n", e, "x").rfind("# top\nignores:\n", 0) == 0);
  // yaml-cpp reads a null at column 0 after comment lines as the key's value (fuzz regression:
  // the list went between the key and that null, which is invalid YAML).
  const std::string later_null = config::add_ignore_text("ignores:\n  # none yet\n~ # empty\n", e, "x");
  CHECK(parse_ignores(later_null, "x").entries.size() == 1);
  CHECK_THAT(later_null, ContainsSubstring("# empty"));
  CHECK_THAT(later_null, !ContainsSubstring("~"));
  const std::string flow = config::add_ignore_text("ignores: []  # none yet\n", e, "x");
  CHECK(flow.rfind("ignores: # none yet\n  - fingerprint:", 0) == 0);
  CHECK(parse_ignores(flow, "x").entries.size() == 1);
  // Entries written at column 0 get new ones at column 0.
  const std::string col0 = config::add_ignore_text("ignores:\n- rule: x\n  reason: accepted_risk\n", e, "x");
  CHECK_THAT(col0, ContainsSubstring("\n- fingerprint:"));
  CHECK(parse_ignores(col0, "x").entries.size() == 2);
  // A file that is not valid is never edited.
  CHECK_THROWS_AS(config::add_ignore_text("ignores:\n  - rule: x\n", e, "x"), util::UsageError);
  // Nor is one whose "ignores:" line a line edit cannot extend (a flow mapping written over lines):
  // the edit is checked by reading it back, and refused with the reason (fuzz regression).
  CHECK_THROWS_WITH(config::add_ignore_text("{\nignores:\n}\n", e, "x"), ContainsSubstring("add it by hand"));
  // An entry with a bad value is named as such, not taken for a file that cannot be edited.
  auto bad = e;
  bad.expires = "next week";
  CHECK_THROWS_WITH(config::add_ignore_text("ignores:\n", bad, "x"),
                    ContainsSubstring("x (the new entry)") && !ContainsSubstring("by hand"));
}

TEST_CASE("ignores: a baseline entry accepts one finding by fingerprint", "[ignores]") {
  auto f = secret("aws-access-key", "deploy/env", std::string(64, 'F'));
  auto e = config::baseline_entry(f, "2026-12-02T06:00:00Z");
  CHECK(e.fingerprint == std::string(64, 'f'));
  CHECK(e.reason == config::IgnoreReason::accepted_risk);
  CHECK_THAT(e.comment, ContainsSubstring("aws-access-key in deploy/env:3"));
  auto text = config::add_ignore_text("", e, "baseline.yml");
  auto parsed = parse_ignores(text, "baseline.yml");
  REQUIRE(parsed.entries.size() == 1);
  CHECK(config::matches(parsed.entries[0], f, ""));
}
