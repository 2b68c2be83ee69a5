#include <catch2/catch_test_macros.hpp>

#include <string>
#include <vector>

#include "agent/controls/secrets/engine.h"
#include "agent/controls/secrets/exact_values.h"

using namespace agent::controls::secrets;
using agent::findings::Finding;
using agent::findings::VariableDetail;

namespace {

constexpr const char* kValue = "s3cr3t-Pr0d-DB-pa55";  // 19 characters

std::string base64(const std::string& in, bool url_safe = false) {
  const char* a = url_safe ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                           : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
    for (int s = 18; s >= 0; s -= 6) out.push_back(a[(v >> s) & 63]);
  }
  if (i + 1 == in.size()) {
    unsigned v = (unsigned char)in[i] << 16;
    out += {a[v >> 18], a[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
    out += {a[v >> 18], a[(v >> 12) & 63], a[(v >> 6) & 63], '='};
  }
  return out;
}

VariableDetail variable(const std::string& key, bool masked = true) {
  VariableDetail d;
  d.key = key;
  d.level = "group";
  d.owner = "acme";
  d.masked = masked;
  d.is_protected = true;
  return d;
}

std::vector<Finding> scan(const ExactValues& values, std::string_view data, std::string_view path = "config/app.yml") {
  std::vector<Finding> out;
  auto scratch = values.make_scratch();
  values.scan(data, path, *scratch, out);
  return out;
}

ExactValues one(const std::string& value, const std::string& key = "PROD_DB_PASSWORD") {
  std::vector<SecretValue> v;
  v.push_back({variable(key), value});
  return ExactValues(std::move(v));
}

}  // namespace

TEST_CASE("a variable's value is found verbatim, named by its variable, with no text of the value") {
  ExactValues values = one(kValue);
  REQUIRE(values.variables() == 1);
  auto found = scan(values, std::string("db:\n  password: ") + kValue + "\n");
  REQUIRE(found.size() == 1);
  const Finding& f = found[0];
  CHECK(f.rule_id == "ci-variable-value");
  CHECK(f.severity == agent::findings::Severity::critical);
  CHECK(f.line == 2);
  CHECK(f.column == 13);
  CHECK(f.end_line == 2);
  CHECK(f.end_column == 13 + 19 - 1);
  REQUIRE(f.variable);
  CHECK(f.variable->key == "PROD_DB_PASSWORD");
  CHECK(f.variable->form == "plain");
  CHECK(!f.secret);
  for (const std::string* text : {&f.description, &f.rule_name, &f.fingerprint})
    CHECK(text->find("s3cr3t") == std::string::npos);
  CHECK(f.description.find("PROD_DB_PASSWORD") != std::string::npos);
  CHECK(f.description.find("group acme") != std::string::npos);
}

TEST_CASE("the fingerprint follows the variable and the path, not the line") {
  ExactValues values = one(kValue);
  auto a = scan(values, std::string("x=") + kValue);
  auto b = scan(values, std::string("\n\n\nx=") + kValue);
  auto c = scan(values, std::string("x=") + kValue, "other/file.yml");
  REQUIRE(a.size() == 1);
  REQUIRE(b.size() == 1);
  REQUIRE(c.size() == 1);
  CHECK(a[0].fingerprint == b[0].fingerprint);
  CHECK(a[0].fingerprint != c[0].fingerprint);
  auto twice = scan(values, std::string("x=") + kValue + "\ny=" + kValue + "\n");
  REQUIRE(twice.size() == 2);
  CHECK(twice[0].fingerprint != twice[1].fingerprint);
}

TEST_CASE("a plain value inside a longer word is not a match") {
  ExactValues values = one("abcd1234efgh");
  CHECK(scan(values, "id: xabcd1234efgh").empty());
  CHECK(scan(values, "id: abcd1234efghx").empty());
  CHECK(scan(values, "id: abcd1234efgh\n").size() == 1);
  CHECK(scan(values, "\"abcd1234efgh\"").size() == 1);
}

TEST_CASE("base64 of the value is found alone and at every offset inside a longer encoded text") {
  ExactValues values = one(kValue);
  for (const std::string prefix : {"", "u", "us", "user:"}) {
    for (bool url_safe : {false, true}) {
      const std::string encoded = base64(prefix + kValue + ":tail", url_safe);
      auto found = scan(values, "auth: " + encoded + "\n");
      INFO(prefix << " " << url_safe << " " << encoded);
      REQUIRE(found.size() == 1);
      CHECK(found[0].variable->form == "base64");
    }
  }
  // A docker config's auth field: base64 of user:password.
  auto found = scan(values, "{\"auths\":{\"registry.example.com\":{\"auth\":\"" + base64(std::string("deploy:") + kValue) + "\"}}}");
  REQUIRE(found.size() == 1);
  CHECK(found[0].description.find("base64") != std::string::npos);
}

TEST_CASE("URL-encoded, hex and JSON-escaped forms are found") {
  ExactValues values = one("p@ss/w0rd#\"2024\"");
  auto url = scan(values, "postgres://app:p%40ss%2Fw0rd%23%222024%22@db.example.com/app");
  REQUIRE(url.size() == 1);
  CHECK(url[0].variable->form == "percent");
  CHECK(scan(values, "x=p%40ss%2fw0rd%23%222024%22").size() == 1);
  auto json = scan(values, R"({"password": "p@ss/w0rd#\"2024\""})");
  REQUIRE(json.size() == 1);
  CHECK(json[0].variable->form == "json");
  ExactValues simple = one("hunter2hunter2");
  auto hex = scan(simple, "secret = 68756e74657232" "68756e74657232\n");
  REQUIRE(hex.size() == 1);
  CHECK(hex[0].variable->form == "hex");
}

TEST_CASE("short values are never matched; a file variable's random lines are") {
  ExactValues none = one("short");
  CHECK(none.variables() == 0);
  CHECK(scan(none, "short short short").empty());
  const std::string key_body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7";
  ExactValues file = one("-----BEGIN PRIVATE KEY-----\n" + key_body + "\n-----END PRIVATE KEY-----\n", "DEPLOY_KEY");
  auto found = scan(file, "key: |\n  " + key_body + "\n");
  REQUIRE(found.size() == 1);
  CHECK(found[0].variable->form == "line");
  // The header line alone is no match: it is not random, and every key has it.
  CHECK(scan(file, "-----BEGIN PRIVATE KEY-----\n").empty());
}

TEST_CASE("value_forms lists each literal once and nothing shorter than 8 characters") {
  auto forms = value_forms("  abcdefgh12  ");
  REQUIRE(!forms.empty());
  CHECK(forms[0].literal == "abcdefgh12");
  CHECK(forms[0].form == "plain");
  for (std::size_t i = 0; i < forms.size(); ++i) {
    CHECK(forms[i].literal.size() >= kMinValueLength);
    for (std::size_t j = i + 1; j < forms.size(); ++j) CHECK(forms[i].literal != forms[j].literal);
  }
  CHECK(value_forms("1234567").empty());
}

TEST_CASE("the engine reports the variable instead of a rule's match on the same value") {
  const std::string rules =
      "rules:\n  - id: test-token\n    name: Test token\n    description: about it\n    severity: high\n"
      "    pattern: '\\b(?P<secret>tok_[0-9a-zA-Z]{16})\\b'\n    keywords: [tok_]\n    examples: [x]\n";
  Engine engine(load_rules_from_string(rules, "test.yaml"), {});
  std::vector<SecretValue> v;
  v.push_back({variable("SERVICE_TOKEN"), "tok_A1b2C3d4E5f6G7h8"});
  engine.set_exact_values(std::make_shared<const ExactValues>(std::move(v)));
  auto scratch = engine.make_scratch();
  std::vector<Finding> found;
  agent::findings::ScanStats stats;
  engine.scan("a = tok_A1b2C3d4E5f6G7h8\nb = tok_Z9y8X7w6V5u4T3s2\n", "app.env", *scratch, found, stats);
  REQUIRE(found.size() == 2);
  int variables = 0, rules_found = 0;
  for (const auto& f : found) {
    if (f.rule_id == "ci-variable-value") {
      ++variables;
      CHECK(f.line == 1);
    } else {
      ++rules_found;
      CHECK(f.line == 2);
    }
  }
  CHECK(variables == 1);
  CHECK(rules_found == 1);
}

TEST_CASE("a value the placeholder filters would drop is still found: it is the real value") {
  ExactValues values = one("changeme123", "ADMIN_PASSWORD");
  auto found = scan(values, "admin_password: changeme123\n");
  REQUIRE(found.size() == 1);
  CHECK(found[0].variable->key == "ADMIN_PASSWORD");
}
