#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <unistd.h>

#include <filesystem>
#include <string>

#include "agent/controls/secrets/engine.h"
#include "agent/controls/secrets/rule.h"
#include "agent/util/error.h"

using namespace agent::controls::secrets;
using Catch::Matchers::ContainsSubstring;

namespace {
const std::string kRules = std::string(JIT_TEST_DATA_DIR) + "/rules";

// The message load_rules throws for `path` (fails the test when it does not throw).
std::string load_error(const std::string& path) {
  try {
    load_rules({path});
  } catch (const agent::util::UsageError& e) {
    return e.what();
  }
  FAIL("no error for " << path);
  return {};
}
}  // namespace

TEST_CASE("valid rule packs load with every field", "[rules]") {
  RuleSet set = load_rules({kRules + "/valid"});
  REQUIRE(set.rules.size() == 3);
  REQUIRE(set.files.size() == 2);
  // Files in name order: generic.yml before vendor.yaml.
  CHECK(set.rules[0].id == "generic-test-password");
  CHECK(set.rules[0].generic);  // from the id prefix
  const Rule& pat = set.rules[1];
  CHECK(pat.id == "test-gitlab-pat");
  CHECK_FALSE(pat.generic);
  CHECK(pat.name == "GitLab personal access token");
  CHECK(pat.severity == agent::findings::Severity::critical);
  CHECK(pat.keywords == std::vector<std::string>{"glpat-"});
  CHECK(pat.entropy == 3.0);
  CHECK(pat.allow.size() == 1);
  CHECK(pat.filter_placeholders);
  CHECK_FALSE(pat.multiline);
  CHECK(pat.cwes == std::vector<std::string>{"CWE-798"});
  REQUIRE(pat.examples.size() == 1);
  CHECK(pat.examples[0].line == 13);
  CHECK(pat.negative_examples[0].line == 14);
  CHECK(pat.line == 3);
  CHECK(pat.pattern_line == 7);
  CHECK(pat.pattern_column == 14);
  CHECK(set.rules[2].multiline);
  CHECK(set.rules[2].examples[0].text.find("\nMIIE") != std::string::npos);
}

TEST_CASE("keywords are lower-cased and generic can be set explicitly", "[rules]") {
  RuleSet set = load_rules_from_string(R"(rules:
  - id: r
    name: R
    severity: info
    pattern: 'AbC(d+)'
    keywords: [AbC]
    generic: true
    filter_placeholders: false
    examples: [AbCddd]
)", "inline.yaml");
  REQUIRE(set.rules.size() == 1);
  CHECK(set.rules[0].keywords == std::vector<std::string>{"abc"});
  CHECK(set.rules[0].generic);
  CHECK_FALSE(set.rules[0].filter_placeholders);
}

TEST_CASE("each kind of invalid rule file names file:line:col", "[rules]") {
  const std::string dir = kRules + "/invalid/";
  CHECK_THAT(load_error(dir + "unknown_key.yaml"), ContainsSubstring(dir + "unknown_key.yaml:7:5: unknown key 'colour'"));
  CHECK_THAT(load_error(dir + "missing_pattern.yaml"),
             ContainsSubstring(dir + "missing_pattern.yaml:2:5: missing required key 'pattern'"));
  CHECK_THAT(load_error(dir + "wrong_type.yaml"),
             ContainsSubstring(dir + "wrong_type.yaml:6:15: 'keywords' must be a list of strings"));
  CHECK_THAT(load_error(dir + "bad_regex.yaml"), ContainsSubstring(dir + "bad_regex.yaml:5:14: invalid regex: missing )"));
  CHECK_THAT(load_error(dir + "entropy_without_group.yaml"),
             ContainsSubstring(dir + "entropy_without_group.yaml:6:14: a rule with 'entropy' needs a capture group"));
  CHECK_THAT(load_error(dir + "bad_yaml.yaml"), ContainsSubstring(dir + "bad_yaml.yaml:4:"));
  CHECK_THAT(load_error(dir + "duplicate"),
             ContainsSubstring(dir + "duplicate/two.yaml:7:9: duplicate rule id 'same-id' (first defined at " + dir +
                               "duplicate/one.yaml:2)"));
}

TEST_CASE("every problem of a file is reported, in position order", "[rules]") {
  try {
    load_rules_from_string(R"(rules:
  - id: Bad_Id
    name: x
    severity: urgent
    pattern: 'a(b'
    examples: [a]
    multiline: maybe
    name: again
)", "f.yaml");
    FAIL("no error");
  } catch (const agent::util::UsageError& e) {
    CHECK(std::string(e.what()) ==
          "f.yaml:2:9: 'id' must match [a-z0-9-]+, got 'Bad_Id'\n"
          "f.yaml:4:15: 'severity' must be one of info, low, medium, high, critical; got 'urgent'\n"
          "f.yaml:5:14: invalid regex: missing ): a(b\n"
          "f.yaml:7:16: 'multiline' must be true or false\n"
          "f.yaml:8:5: duplicate key 'name'");
  }
}

TEST_CASE("other structural errors", "[rules]") {
  CHECK_THROWS_WITH(load_rules_from_string("", "e.yaml"), ContainsSubstring("e.yaml: empty rule file"));
  CHECK_THROWS_WITH(load_rules_from_string("rule: []\n", "e.yaml"), ContainsSubstring("e.yaml:1:1: unknown key 'rule'"));
  CHECK_THROWS_WITH(load_rules_from_string("rules: {}\n", "e.yaml"),
                    ContainsSubstring("e.yaml:1:8: 'rules' must be a list"));
  CHECK_THROWS_WITH(load_rules_from_string("rules: [abc]\n", "e.yaml"), ContainsSubstring("e.yaml:1:9: a rule must be a map"));
  CHECK_THROWS_WITH(load_rules_from_string(
                        "rules:\n  - {id: a, name: A, severity: low, pattern: 'a(b)', examples: [ab], entropy: high}\n",
                        "e.yaml"),
                    ContainsSubstring("e.yaml:2:79: 'entropy' must be a number"));
  CHECK_THROWS_WITH(load_rules({kRules + "/does-not-exist"}), ContainsSubstring("no such rule file or folder"));
  const auto empty = std::filesystem::temp_directory_path() / ("jit-no-rules-" + std::to_string(::getpid()));
  std::filesystem::create_directories(empty);
  CHECK_THROWS_WITH(load_rules({empty}), ContainsSubstring(empty.string() + ": no rule files"));
  std::filesystem::remove(empty);
}

TEST_CASE("patterns Vectorscan rejects are reported with file:line:col when compiled", "[rules]") {
  const std::string file = kRules + "/invalid/vectorscan_rejects.yaml";
  RuleSet rejected = load_rules({file});  // RE2 accepts (?U); Vectorscan does not
  CHECK_THROWS_WITH(Engine(rejected, {}),
                    ContainsSubstring(file + ":5:14: rule a-rule: Vectorscan cannot compile the pattern"));
  // Every rejected pattern at once, each at its own position.
  RuleSet two = load_rules_from_string(R"(rules:
  - {id: a, name: A, severity: low, pattern: 'x*', examples: [ab]}
  - {id: b, name: B, severity: low, pattern: 'ok(x)', examples: [okx]}
  - {id: c, name: C, severity: low, pattern: '(?U)y+', examples: [y]}
)", "e.yaml");
  try {
    Engine engine(two, {});
    FAIL("no error");
  } catch (const agent::util::UsageError& e) {
    const std::string message = e.what();
    CHECK_THAT(message, ContainsSubstring("e.yaml:2:46: rule a: Vectorscan cannot compile the pattern: the pattern "
                                          "can match an empty string\ne.yaml:4:46: rule c:"));
  }
}

TEST_CASE("default rules folder", "[rules]") {
  CHECK(default_rules_dir().filename() == "secrets");
}
