#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "agent/findings/token_text.h"
#include "agent/job/token_check.h"
#include "agent/util/error.h"
#include "unit/gitlab/fake_transport.h"

using namespace agent::job;
using agent::findings::Finding;
using agent::findings::Severity;
using agent::util::Environment;
using Catch::Matchers::ContainsSubstring;
namespace test = agent::gitlab::test;

namespace {

constexpr const char* kInstance = "https://gitlab.example.com";

Finding token_finding(std::string token, std::string path = "config.yml", Severity severity = Severity::high) {
  Finding f;
  f.control = "secrets";
  f.rule_id = "gitlab-pat";
  f.path = std::move(path);
  f.line = 1;
  f.severity = severity;
  agent::findings::SecretDetail s;
  s.raw = std::move(token);
  s.redacted = s.raw.substr(0, 4) + "\xE2\x80\xA6";
  f.secret = s;
  return f;
}

TokenCheckSettings settings() {
  TokenCheckSettings s;
  s.enabled = true;
  s.instance = kInstance;
  return s;
}

agent::gitlab::InspectorOptions no_wait() {
  agent::gitlab::InspectorOptions o;
  o.sleep = [](std::chrono::milliseconds) {};
  return o;
}

}  // namespace

TEST_CASE("token_home: the URL that holds the token names its instance", "[token_check]") {
  const std::string tok = "glpat-abcdefghijklmnopqrst";
  REQUIRE_FALSE(token_home("token: " + tok, tok, kInstance).external);
  REQUIRE(token_home("token: " + tok, tok, kInstance).instance.empty());
  auto other = token_home("git clone https://oauth2:" + tok + "@gitlab.com/acme/app.git", tok, kInstance);
  REQUIRE(other.external);
  REQUIRE(other.instance == "https://gitlab.com");
  auto self = token_home("url = https://oauth2:" + tok + "@GitLab.Example.com:443/acme/app.git", tok, kInstance);
  REQUIRE_FALSE(self.external);
  // The URL holding the token wins over another URL on the line.
  auto both = token_home("see https://docs.example.org/x; remote http://ci:" + tok + "@gitlab.other.net:8080/a",
                         tok, kInstance);
  REQUIRE(both.instance == "https://gitlab.other.net:8080");
  // Without one, the first URL on the line.
  REQUIRE(token_home("GITLAB=https://gitlab.com TOKEN=" + tok, tok, kInstance).instance == "https://gitlab.com");
  REQUIRE(line_at("a\r\nb\nc", 2) == "b");
  REQUIRE(line_at("a\r\nb\nc", 1) == "a");
  REQUIRE(line_at("a", 3).empty());
}

TEST_CASE("active tokens become critical, revoked ones low; the rule's level is kept", "[token_check]") {
  test::FakeTransport t;
  t.reply(200, R"({"active":true,"revoked":false,"scopes":["api"],"user_id":7,"expires_at":"2027-01-01"})");
  t.reply(200, R"({"username":"bob"})");
  t.reply(401, "{}");
  TokenChecker checker(settings(), t, no_wait());
  std::vector<Finding> list = {token_finding("glpat-activeactiveactive00"), token_finding("glpat-revokedrevokedrevo00")};
  auto sum = checker.check(list);
  REQUIRE(sum.tokens == 2);
  REQUIRE(sum.active == 1);
  REQUIRE(sum.inactive == 1);
  REQUIRE(sum.requests == 3);
  REQUIRE(list[0].severity == Severity::critical);
  REQUIRE(list[0].token_check->status == "active");
  REQUIRE(list[0].token_check->owner == "@bob");
  REQUIRE(list[0].token_check->original_severity == "high");
  REQUIRE(list[0].token_check->instance == kInstance);
  REQUIRE(list[1].severity == Severity::low);
  REQUIRE(list[1].token_check->status == "inactive");
  REQUIRE(list[1].token_check->original_severity == "high");
  REQUIRE(agent::findings::token_status_label(*list[1].token_check) == "revoked or expired");
  REQUIRE_THAT(agent::findings::token_check_sentence(*list[0].token_check),
               ContainsSubstring("active (scopes: api; owner @bob; expires 2027-01-01)"));
}

TEST_CASE("the same token twice costs one request (cache by hash)", "[token_check]") {
  test::FakeTransport t;
  t.reply(401, "{}");
  TokenChecker checker(settings(), t, no_wait());
  std::vector<Finding> list = {token_finding("glpat-samesamesamesamesame00", "a.yml"),
                               token_finding("glpat-samesamesamesamesame00", "b.yml")};
  auto sum = checker.check(list);
  REQUIRE(t.requests.size() == 1);
  REQUIRE(sum.inactive == 2);
  REQUIRE(list[1].token_check->status == "inactive");
}

TEST_CASE("unknown: no endpoint, network failure, other host; severity unchanged", "[token_check]") {
  test::FakeTransport t;
  t.fail("Operation timed out", false, true);
  TokenChecker checker(settings(), t, no_wait());
  std::vector<Finding> list = {token_finding("gldt-abcdefghijklmnopqrst"), token_finding("glpat-timeouttimeouttime00"),
                               token_finding("glpat-externalexternalext00", "clone.sh")};
  Finding not_a_token = token_finding("AKIAABCDEFGHIJKLMNOP");
  list.push_back(not_a_token);
  auto lines = [](const Finding& f) {
    return f.path == "clone.sh" ? "git clone https://oauth2:glpat-externalexternalext00@gitlab.com/a/b.git"
                                : std::string();
  };
  auto sum = checker.check(list, lines);
  REQUIRE(sum.tokens == 3);
  REQUIRE(sum.unknown == 3);
  REQUIRE(t.requests.size() == 1);  // only the timed-out one was sent
  for (int i = 0; i < 3; ++i) {
    REQUIRE(list[i].severity == Severity::high);
    REQUIRE(list[i].token_check->original_severity.empty());
  }
  REQUIRE_THAT(list[0].token_check->reason, ContainsSubstring("deploy token"));
  REQUIRE_THAT(list[1].token_check->reason, ContainsSubstring("timed out"));
  REQUIRE_THAT(list[2].token_check->reason, ContainsSubstring("gitlab.com"));
  REQUIRE_THAT(list[2].token_check->reason, ContainsSubstring("JIT_VALIDATE_EXTERNAL"));
  REQUIRE_FALSE(list[3].token_check);
}

TEST_CASE("JIT_VALIDATE_EXTERNAL: the other host is asked, over HTTPS", "[token_check]") {
  test::FakeTransport t;
  t.reply(401, "{}");
  auto s = settings();
  s.allow_external = true;
  TokenChecker checker(s, t, no_wait());
  std::vector<Finding> list = {token_finding("glpat-externalexternalext00")};
  checker.check(list, [](const Finding&) { return "https://oauth2:glpat-externalexternalext00@gitlab.com/a.git"; });
  REQUIRE(t.requests.at(0).url == "https://gitlab.com/api/v4/personal_access_tokens/self");
  REQUIRE(list[0].token_check->instance == "https://gitlab.com");
}

TEST_CASE("revoke: an active PAT is deleted once and recorded; read-only otherwise", "[token_check]") {
  test::FakeTransport t;
  t.reply(200, R"({"active":true,"revoked":false,"scopes":["read_repository"]})");
  t.reply(204, "");
  auto s = settings();
  s.revoke = true;
  TokenChecker checker(s, t, no_wait());
  std::vector<Finding> list = {token_finding("glpat-revokemerevokemerev00", "a"),
                               token_finding("glpat-revokemerevokemerev00", "b")};
  auto sum = checker.check(list);
  REQUIRE(t.requests.size() == 2);
  REQUIRE(t.requests[1].method == "DELETE");
  REQUIRE(sum.revoked == 2);
  REQUIRE(list[0].token_check->revoked_by_agent);
  REQUIRE(list[0].severity == Severity::high);  // it was live when pushed: the rule's level stays
  REQUIRE_THAT(agent::findings::token_check_sentence(*list[0].token_check), ContainsSubstring("revoked by jit-agent"));

  test::FakeTransport ro;
  ro.reply(200, R"({"active":true,"revoked":false,"scopes":["read_repository"]})");
  TokenChecker reader(settings(), ro, no_wait());
  std::vector<Finding> one = {token_finding("glpat-revokemerevokemerev00")};
  reader.check(one);
  REQUIRE(ro.requests.size() == 1);
  for (const auto& r : ro.requests) REQUIRE(r.method == "GET");
}

TEST_CASE("a cap on tokens per job", "[token_check]") {
  test::FakeTransport t;
  t.reply(401, "{}");
  auto s = settings();
  s.max_tokens = 1;
  TokenChecker checker(s, t, no_wait());
  std::vector<Finding> list = {token_finding("glpat-first0first0first0f00"), token_finding("glpat-second0second0secon00")};
  checker.check(list);
  REQUIRE(t.requests.size() == 1);
  REQUIRE(list[1].token_check->status == "unknown");
  REQUIRE_THAT(list[1].token_check->reason, ContainsSubstring("more than 1"));
}

TEST_CASE("settings from the CI environment", "[token_check]") {
  auto env = Environment::from_map({{"CI_SERVER_URL", "https://gitlab.example.com/"}});
  auto s = token_check_settings_for_ci(env, true);
  REQUIRE(s.enabled);
  REQUIRE(s.instance == kInstance);
  REQUIRE_FALSE(s.revoke);
  REQUIRE_FALSE(s.allow_external);
  REQUIRE_FALSE(token_check_settings_for_ci(Environment::from_map({}), false).enabled);
  REQUIRE_FALSE(token_check_settings_for_ci(
                    Environment::from_map({{"CI_SERVER_URL", kInstance}, {"JIT_VALIDATE_TOKENS", "false"}}), false)
                    .enabled);
  auto revoke = Environment::from_map({{"CI_SERVER_URL", kInstance}, {"JIT_REVOKE_LEAKED", "true"}});
  REQUIRE(token_check_settings_for_ci(revoke, true).revoke);
  REQUIRE_FALSE(token_check_settings_for_ci(revoke, false).revoke);  // merge requests only
  REQUIRE_THROWS_AS(token_check_settings_for_ci(
                        Environment::from_map({{"CI_SERVER_URL", kInstance}, {"JIT_VALIDATE_TOKENS", "maybe"}}), false),
                    agent::util::UsageError);
  REQUIRE(token_check_settings_for_scan(Environment::from_map({}), "").instance == "https://gitlab.com");
  REQUIRE(token_check_settings_for_scan(Environment::from_map({{"CI_SERVER_URL", kInstance}}), "").instance == kInstance);
  REQUIRE_FALSE(token_check_settings_for_scan(Environment::from_map({}), "").revoke);
}
