#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <set>

#include "agent/gitlab/token_inspect.h"
#include "agent/util/redact.h"
#include "fake_transport.h"

using namespace agent::gitlab;
using Catch::Matchers::ContainsSubstring;

namespace {

constexpr const char* kInstance = "https://gitlab.example.com/api/v4";
const std::string kPat = "glpat-inspect0test0token0x";
const std::string kRunner = "glrt-inspect0runner0tokenx";
const std::string kJob = "glcbt-64_inspect0job0token0xx";

InspectorOptions no_wait(std::vector<std::chrono::milliseconds>* sleeps = nullptr) {
  InspectorOptions o;
  o.max_per_second = 0;
  o.sleep = [sleeps](std::chrono::milliseconds d) {
    if (sleeps) sleeps->push_back(d);
  };
  return o;
}

}  // namespace

TEST_CASE("token_prefix_of: GitLab's documented prefixes, each in one table row", "[token_inspect]") {
  REQUIRE(token_prefix_of("glpat-abc")->check == SelfCheck::personal_token);
  REQUIRE(token_prefix_of("glrt-abc")->check == SelfCheck::none);
  REQUIRE(token_prefix_of("glrtr-abc")->check == SelfCheck::none);
  REQUIRE(token_prefix_of("glcbt-64_abc")->check == SelfCheck::job);
  for (const char* none : {"gldt-x", "glptt-x", "gloas-x", "glft-x", "glimt-x", "glsoat-x", "glffct-x", "glagent-x",
                           "GR1348941x"}) {
    INFO(none);
    REQUIRE(token_prefix_of(none) != nullptr);
    REQUIRE(token_prefix_of(none)->check == SelfCheck::none);
  }
  REQUIRE(token_prefix_of("ghp_abc") == nullptr);
  REQUIRE(token_prefix_of("") == nullptr);
  std::set<std::string_view> seen;
  for (const auto& p : token_prefixes()) REQUIRE(seen.insert(p.prefix).second);
}

TEST_CASE("a live personal access token: scopes, owner from GET /user, expiry", "[token_inspect]") {
  test::FakeTransport t;
  t.reply(200, R"({"id":4,"name":"ci bot","revoked":false,"active":true,"scopes":["api"],"user_id":7,
                   "expires_at":"2027-01-01"})");
  t.reply(200, R"({"id":7,"username":"bob"})");
  TokenInspector inspector(t, no_wait());
  TokenAnswer a = inspector.inspect(kInstance, kPat);
  REQUIRE(a.status == "active");
  REQUIRE(a.scopes == std::vector<std::string>{"api"});
  REQUIRE(a.owner == "@bob");
  REQUIRE(a.name == "ci bot");
  REQUIRE(a.expires_at == "2027-01-01");
  REQUIRE(a.endpoint == "GET /api/v4/personal_access_tokens/self");
  REQUIRE(a.requests == 2);
  REQUIRE(t.requests.size() == 2);
  REQUIRE(t.requests[0].method == "GET");
  REQUIRE(t.requests[0].url == "https://gitlab.example.com/api/v4/personal_access_tokens/self");
  REQUIRE(test::request_header(t.requests[0], "PRIVATE-TOKEN") == kPat);
  REQUIRE(t.requests[1].url == "https://gitlab.example.com/api/v4/user");
  // The token is in a header, never in a URL, and is known to the redactor before anything is sent.
  for (const auto& r : t.requests) REQUIRE(r.url.find(kPat) == std::string::npos);
  REQUIRE(agent::util::global_redactor().apply("x " + kPat) == "x [REDACTED]");
}

TEST_CASE("GET /user only when the scopes allow it", "[token_inspect]") {
  test::FakeTransport t;
  t.reply(200, R"({"active":true,"revoked":false,"scopes":["read_repository"],"user_id":42})");
  TokenInspector inspector(t, no_wait());
  TokenAnswer a = inspector.inspect(kInstance, kPat);
  REQUIRE(a.status == "active");
  REQUIRE(a.owner == "user 42");
  REQUIRE(t.requests.size() == 1);
}

TEST_CASE("401 is revoked or expired; a 200 saying revoked or inactive too", "[token_inspect]") {
  test::FakeTransport t;
  t.reply(401, R"({"message":"401 Unauthorized"})");
  t.reply(200, R"({"active":false,"revoked":true,"scopes":["api"]})");
  t.reply(200, R"({"active":false,"revoked":false,"scopes":["api"],"expires_at":"2020-01-01"})");
  TokenInspector inspector(t, no_wait());
  TokenAnswer a = inspector.inspect(kInstance, kPat);
  REQUIRE(a.status == "inactive");
  REQUIRE_THAT(a.reason, ContainsSubstring("401"));
  REQUIRE(inspector.inspect(kInstance, kPat).reason == "revoked");
  TokenAnswer expired = inspector.inspect(kInstance, kPat);
  REQUIRE(expired.status == "inactive");
  REQUIRE(expired.reason == "expired");
  REQUIRE(t.requests.size() == 3);  // no GET /user for inactive tokens
}

TEST_CASE("403: insufficient_scope is alive, any other 403 unknown; 5xx and timeouts unknown", "[token_inspect]") {
  test::FakeTransport t;
  t.reply(403, R"({"error":"insufficient_scope"})");
  t.reply(403, R"({"message":"403 Forbidden"})");
  t.reply(502, "bad gateway");
  t.fail("GET https://gitlab.example.com/api/v4/personal_access_tokens/self: Operation timed out after 5000 ms "
         "with token " + kPat, false, true);
  TokenInspector inspector(t, no_wait());
  REQUIRE(inspector.inspect(kInstance, kPat).status == "active");
  REQUIRE(inspector.inspect(kInstance, kPat).status == "unknown");
  TokenAnswer bad = inspector.inspect(kInstance, kPat);
  REQUIRE(bad.status == "unknown");
  REQUIRE_THAT(bad.reason, ContainsSubstring("502"));
  TokenAnswer timeout = inspector.inspect(kInstance, kPat);
  REQUIRE(timeout.status == "unknown");
  REQUIRE_THAT(timeout.reason, ContainsSubstring("timed out"));
  REQUIRE(timeout.reason.find(kPat) == std::string::npos);
}

TEST_CASE("runner tokens are never sent: GitLab's check records a runner contact", "[token_inspect]") {
  test::FakeTransport t;
  TokenInspector inspector(t, no_wait());
  TokenAnswer a = inspector.inspect(kInstance, kRunner);
  REQUIRE(a.status == "unknown");
  REQUIRE_THAT(a.reason, ContainsSubstring("records a runner contact"));
  REQUIRE(a.endpoint.empty());
  REQUIRE(t.requests.empty());
}

TEST_CASE("job tokens: GET /job with JOB-TOKEN; 401 once the job ended", "[token_inspect]") {
  test::FakeTransport t;
  t.reply(200, R"({"id":9,"status":"running","user":{"username":"alice"}})");
  t.reply(401, R"({"message":"401 Unauthorized"})");
  TokenInspector inspector(t, no_wait());
  TokenAnswer a = inspector.inspect(kInstance, kJob);
  REQUIRE(a.status == "active");
  REQUIRE(a.owner == "@alice");
  REQUIRE(test::request_header(t.requests[0], "JOB-TOKEN") == kJob);
  REQUIRE(t.requests[0].url == "https://gitlab.example.com/api/v4/job");
  REQUIRE(inspector.inspect(kInstance, kJob).status == "inactive");
}

TEST_CASE("kinds without a self-inspection endpoint: unknown, no request", "[token_inspect]") {
  test::FakeTransport t;
  TokenInspector inspector(t, no_wait());
  TokenAnswer a = inspector.inspect(kInstance, "gldt-abcdefghijklmnopqrst");
  REQUIRE(a.status == "unknown");
  REQUIRE_THAT(a.reason, ContainsSubstring("deploy token"));
  REQUIRE(a.endpoint.empty());
  REQUIRE(t.requests.empty());
}

TEST_CASE("the rate limit spaces requests", "[token_inspect]") {
  test::FakeTransport t;
  for (int i = 0; i < 3; ++i) t.reply(401, "{}");
  std::vector<std::chrono::milliseconds> sleeps;
  auto clock = std::chrono::steady_clock::time_point{};
  InspectorOptions o;
  o.max_per_second = 5;
  o.now = [&clock] { return clock; };
  o.sleep = [&](std::chrono::milliseconds d) {
    sleeps.push_back(d);
    clock += d;
  };
  TokenInspector inspector(t, o);
  inspector.inspect(kInstance, kPat);
  clock += std::chrono::milliseconds(50);
  inspector.inspect(kInstance, kPat);
  inspector.inspect(kInstance, kPat);
  REQUIRE(sleeps == std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(150), std::chrono::milliseconds(200)});
}

TEST_CASE("revoke_personal_token: DELETE /personal_access_tokens/self", "[token_inspect]") {
  test::FakeTransport t;
  t.reply(204, "");
  t.reply(403, R"({"message":"403 Forbidden"})");
  TokenInspector inspector(t, no_wait());
  std::string why;
  REQUIRE(inspector.revoke_personal_token(kInstance, kPat, why));
  REQUIRE(t.requests[0].method == "DELETE");
  REQUIRE(t.requests[0].url == "https://gitlab.example.com/api/v4/personal_access_tokens/self");
  REQUIRE_FALSE(inspector.revoke_personal_token(kInstance, kPat, why));
  REQUIRE_THAT(why, ContainsSubstring("403"));
}
