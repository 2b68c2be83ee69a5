// The rule keys for credential files: confidence, low_confidence_entropy, paths and
// filter_placeholders: structural (loader and engine).
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <string>
#include <vector>

#include "agent/controls/secrets/engine.h"
#include "agent/controls/secrets/placeholder.h"
#include "agent/controls/secrets/rule.h"
#include "agent/util/error.h"
#include "agent/util/glob.h"

using namespace agent::controls::secrets;
using agent::findings::Confidence;
using agent::findings::Finding;
using Catch::Matchers::ContainsSubstring;

namespace {

// A rule with the mandatory fields; `extra` adds YAML lines (indented by 4).
std::string rule(const std::string& id, const std::string& pattern, const std::string& extra = "") {
  return "  - id: " + id + "\n    name: " + id + " name\n    severity: high\n    pattern: '" + pattern +
         "'\n    examples: [x]\n" + extra;
}

RuleSet load(const std::string& rules) { return load_rules_from_string("rules:\n" + rules, "keys.yaml"); }

std::string load_error(const std::string& rules) {
  try {
    load(rules);
  } catch (const agent::util::UsageError& e) {
    return e.what();
  }
  FAIL("no error");
  return {};
}

std::vector<Finding> scan(const std::string& rules, std::string_view data, std::string_view path) {
  Engine engine(load(rules), {});
  auto scratch = engine.make_scratch();
  std::vector<Finding> out;
  agent::findings::ScanStats stats;
  engine.scan(data, path, *scratch, out, stats);
  return out;
}

const std::string kNetrc = rule("netrc-password", R"(\bpassword[ \t]+(?P<secret>\S+))",
                                "    paths: [.netrc, _netrc]\n    filter_placeholders: structural\n"
                                "    low_confidence_entropy: 3.0\n");

}  // namespace

TEST_CASE("confidence defaults to high, medium for a generic rule, and can be set", "[rules][confidence]") {
  RuleSet set = load(rule("vendor", "v(x+)") + rule("generic-thing", "g(x+)") +
                     rule("vague", "a(x+)", "    confidence: LOW\n") +
                     rule("generic-sure", "b(x+)", "    confidence: high\n"));
  REQUIRE(set.rules.size() == 4);
  CHECK(set.rules[0].confidence == Confidence::high);
  CHECK(set.rules[1].confidence == Confidence::medium);
  CHECK(set.rules[2].confidence == Confidence::low);
  CHECK(set.rules[3].confidence == Confidence::high);
  CHECK_THAT(load_error(rule("r", "a(x+)", "    confidence: certain\n")),
             ContainsSubstring("keys.yaml:7:17: 'confidence' must be one of high, medium, low; got 'certain'"));
}

TEST_CASE("findings carry the rule's confidence", "[engine][confidence]") {
  auto found = scan(rule("vague", R"(tok_(?P<secret>[a-z0-9]{12}))", "    confidence: medium\n") +
                        rule("generic-tok", R"(key=(?P<secret>[a-z0-9]{12}))"),
                    "tok_k3j9x8q2m4n7 key=p0o9i8u7y6t5\n", "a.txt");
  REQUIRE(found.size() == 2);
  CHECK(found[0].confidence == Confidence::medium);
  CHECK(found[1].confidence == Confidence::medium);  // generic default
  CHECK(agent::findings::to_string(Confidence::low) == "low");
  CHECK(agent::findings::parse_confidence("Medium") == Confidence::medium);
  CHECK_FALSE(agent::findings::parse_confidence("sure"));
}

TEST_CASE("low_confidence_entropy lowers weak secrets to low, never drops them", "[engine][confidence]") {
  RuleSet set = load(kNetrc);
  CHECK(set.rules[0].low_confidence_entropy == 3.0);
  CHECK(set.rules[0].entropy == 0);
  auto found = scan(kNetrc,
                    "machine a.example.com login u password Xk9pQ2rT7vB4nM8s\n"  // strong
                    "machine b.example.com login u password aaaabbbbaaaabbbb\n"  // 16 bytes, entropy 1
                    "machine c.example.com login u password Q7!z\n",            // short
                    ".netrc");
  REQUIRE(found.size() == 3);
  CHECK(found[0].confidence == Confidence::high);
  CHECK(found[1].confidence == Confidence::low);
  CHECK(found[2].confidence == Confidence::low);
  CHECK_THAT(load_error(rule("r", "a(x+)", "    low_confidence_entropy: 9\n")),
             ContainsSubstring("'low_confidence_entropy' must be a number between 0 and 8"));
}

TEST_CASE("paths restrict a rule to the files its globs select", "[engine][paths]") {
  const std::string text = "machine example.com login me password Xk9pQ2rT7vB4nM8s\n";
  CHECK(scan(kNetrc, text, ".netrc").size() == 1);
  CHECK(scan(kNetrc, text, "home/user/_netrc").size() == 1);  // no '/': any depth
  CHECK(scan(kNetrc, text, "docs/netrc.md").empty());
  CHECK(scan(kNetrc, text, "x.netrc").empty());
  // A glob with a folder; a folder glob covers the files under it; rules without paths run everywhere.
  const std::string xml = rule("fz", R"(<Pass>(?P<secret>[^<]+)</Pass>)", "    paths: ['**/sitemanager.xml', 'ftp/']\n") +
                          rule("other", R"(<Pass>(?P<secret>[^<]+)</Pass>)");
  const std::string pass = "<Pass>Xk9pQ2rT7vB4nM8s</Pass>";
  auto ids = [&](std::string_view path) {
    std::vector<std::string> out;
    for (const auto& f : scan(xml, pass, path)) out.push_back(f.rule_id);
    return out;
  };
  CHECK(ids("a/b/sitemanager.xml") == std::vector<std::string>{"fz", "other"});
  CHECK(ids("sitemanager.xml") == std::vector<std::string>{"fz", "other"});
  CHECK(ids("ftp/servers.xml") == std::vector<std::string>{"fz", "other"});
  CHECK(ids("a/sitemanager.xml.bak") == std::vector<std::string>{"other"});
  CHECK(ids("a/ftp/servers.xml") == std::vector<std::string>{"fz", "other"});  // "ftp/": no inner '/', any depth
  CHECK(ids("ftp.xml") == std::vector<std::string>{"other"});
  CHECK(ids("sitemanager.xml/x") == std::vector<std::string>{"fz", "other"});  // a folder glob covers its files
  CHECK_THAT(load_error(rule("r", "a(x+)", "    paths: []\n")), ContainsSubstring("'paths' must hold at least one glob"));
  CHECK_THAT(load_error(rule("r", "a(x+)", "    paths: ['']\n")), ContainsSubstring("'paths' items must not be empty"));
}

TEST_CASE("a path rule's examples are scanned as a file its globs select", "[rules][paths]") {
  RuleSet set = load(R"(  - id: pgpass
    name: pgpass
    severity: high
    pattern: '^[^:\n]+:[0-9*]+:[^:\n]+:[^:\n]+:(?P<secret>[^\n]+)$'
    paths: ['**/*.pgpass', .pgpass]
    examples:
      - 'db.example.com:5432:app:app:Xk9pQ2rT7vB4nM8s'
      - {path: conf/.pgpass, text: 'db:5432:*:u:hunter22'}
    negative_examples:
      - {path: README.md, text: 'db.example.com:5432:app:app:Xk9pQ2rT7vB4nM8s'}
)");
  const Rule& r = set.rules.at(0);
  REQUIRE(r.examples.size() == 2);
  CHECK(r.examples[0].path == "x.pgpass");
  CHECK(r.examples[0].line == 8);
  CHECK(r.examples[1].path == "conf/.pgpass");
  CHECK(r.examples[1].text == "db:5432:*:u:hunter22");
  CHECK(r.examples[1].line == 9);
  CHECK(r.negative_examples.at(0).path == "README.md");
  // Rules without paths keep plain examples unnamed (scanned as "example").
  CHECK(load(rule("r", "a(x+)")).rules[0].examples[0].path.empty());

  CHECK_THAT(load_error(rule("r", "a(x+)", "    negative_examples: [{text: x}]\n")),
             ContainsSubstring("an example map needs both 'path' and 'text'"));
  CHECK_THAT(load_error(rule("r", "a(x+)", "    negative_examples: [{path: a, txt: x}]\n")),
             ContainsSubstring("unknown key 'txt' in an example"));
  CHECK_THAT(load_error(rule("r", "a(x+)", "    negative_examples: [[x]]\n")),
             ContainsSubstring("items must be strings or {path, text} maps"));
}

TEST_CASE("a glob made concrete is a path the glob matches", "[rules][paths]") {
  for (const char* glob : {".netrc", "**/sitemanager.xml", "*.pgpass", "**/.config/*/auth.json", "config/**",
                           "a/**/b.yml", "wp-config?.php", "[._]netrc", "[!a]rc", "./x.env", "dir/", "\\*star"}) {
    INFO(glob << " -> " << concrete_path(glob));
    CHECK(agent::util::glob_match(glob, concrete_path(glob)));
  }
  CHECK(concrete_path("**/sitemanager.xml") == "sitemanager.xml");
  CHECK(concrete_path("*.pgpass") == "x.pgpass");
}

TEST_CASE("structural placeholders are syntax; dictionary words are real weak passwords", "[placeholder]") {
  for (const char* p : {"", "\"\"", "${DB_PASSWORD}", "$PASSWORD", "{{ password }}", "<password>", "<your-token>",
                        "%s", "%-8s", "%(password)s", "{}", "{0}", "?", "*****", "********", "xxxx", "XXXXXXXX",
                        "...", "\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2", "your_password_here", "changeme-in-prod",
                        "change-me-in-production", "please_changeme", "<%= ENV['X'] %>", "placeholder", "REDACTED",
                        "password-here"}) {
    INFO('"' << p << '"');
    CHECK(is_structural_placeholder(p));
    CHECK(is_placeholder(p));  // the full filter drops everything the structural one does
  }
  for (const char* word : {"password", "changeme", "secret", "hunter22", "hunter2", "changeme123", "admin",
                           "letmein", "test", "aaaaaaaa", "12345678", "example"}) {
    INFO(word);
    CHECK_FALSE(is_structural_placeholder(word));
  }
  for (const char* word : {"password", "changeme", "secret"}) CHECK(is_placeholder(word));
}

TEST_CASE("filter_placeholders: structural keeps weak passwords, as low confidence", "[engine][placeholder]") {
  RuleSet set = load(kNetrc + rule("generic-pw", R"(pw=(?P<secret>\S+))", "    filter_placeholders: false\n"));
  CHECK(set.rules[0].placeholders == Placeholders::structural);
  CHECK(set.rules[0].filter_placeholders);
  CHECK(set.rules[1].placeholders == Placeholders::keep);
  CHECK_FALSE(set.rules[1].filter_placeholders);
  CHECK_THAT(load_error(rule("r", "a(x+)", "    filter_placeholders: some\n")),
             ContainsSubstring("'filter_placeholders' must be true, false or structural"));

  auto found = scan(kNetrc,
                    "machine a login u password password\n"
                    "machine b login u password ${NETRC_PASSWORD}\n"
                    "machine c login u password changeme\n"
                    "machine d login u password <password>\n"
                    "machine e login u password hunter22\n"
                    "machine f login u password ********\n"
                    "machine g login u password R3aLLy-l0ng-Phr4se!\n",
                    ".netrc");
  std::vector<std::pair<std::string, Confidence>> got;
  for (const auto& f : found) got.emplace_back(f.secret->raw, f.confidence);
  CHECK(got == std::vector<std::pair<std::string, Confidence>>{{"password", Confidence::low},
                                                               {"changeme", Confidence::low},
                                                               {"hunter22", Confidence::low},
                                                               {"R3aLLy-l0ng-Phr4se!", Confidence::high}});
  // With the default filter the same rule drops the dictionary words.
  std::string full = kNetrc;
  full.replace(full.find("structural"), 10, "true");
  auto strict = scan(full, "machine a login u password changeme\nmachine b login u password hunter22\n", ".netrc");
  REQUIRE(strict.size() == 1);
  CHECK(strict[0].secret->raw == "hunter22");
}
