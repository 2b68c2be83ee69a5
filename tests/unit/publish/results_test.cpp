#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "agent/gitlab/api.h"
#include "agent/publish/results.h"
#include "agent/util/redact.h"
#include "unit/gitlab/fake_transport.h"

using namespace agent::publish;
using Catch::Matchers::ContainsSubstring;

namespace {
agent::util::Environment env(std::map<std::string, std::string, std::less<>> vars) {
  return agent::util::Environment::from_map(std::move(vars));
}
void no_sleep(std::chrono::milliseconds) {}
}  // namespace

TEST_CASE("results endpoint from the environment") {
  CHECK_FALSE(results_endpoint_from_env(env({})).has_value());
  auto e = results_endpoint_from_env(env({{"JIT_RESULTS_URL", "https://results.example/api"},
                                          {"JIT_RESULTS_TOKEN", "results-secret-token"}}));
  REQUIRE(e);
  CHECK(e->url == "https://results.example/api");
  CHECK(e->token == "results-secret-token");
  CHECK(agent::util::global_redactor().apply("results-secret-token") == "[REDACTED]");
  CHECK_THROWS_AS(results_endpoint_from_env(env({{"JIT_RESULTS_URL", "ftp://x"}})), agent::util::UsageError);
}

TEST_CASE("the JSON report is POSTed with a bearer token, retried on 5xx") {
  agent::gitlab::test::FakeTransport t;
  t.reply(503, "busy");
  t.reply(202, "{}");
  post_results(t, agent::gitlab::RetryPolicy{}, no_sleep, ResultsEndpoint{"https://r.example/in", "tok-abcdef"},
               R"({"findings":[]})");
  REQUIRE(t.requests.size() == 2);
  CHECK(t.requests[1].method == "POST");
  CHECK(t.requests[1].body == R"({"findings":[]})");
  CHECK(agent::gitlab::test::request_header(t.requests[1], "Authorization") == "Bearer tok-abcdef");
  CHECK(agent::gitlab::test::request_header(t.requests[1], "Content-Type") == "application/json");
}

TEST_CASE("a refused POST is an ApiError without the token") {
  agent::gitlab::test::FakeTransport t;
  t.reply(401, "bad token tok-zzzzzz");
  agent::util::global_redactor().add("tok-zzzzzz");
  try {
    post_results(t, agent::gitlab::RetryPolicy{}, no_sleep, ResultsEndpoint{"https://r.example/in", "tok-zzzzzz"}, "{}");
    FAIL("expected ApiError");
  } catch (const agent::gitlab::ApiError& e) {
    CHECK(e.status() == 401);
    CHECK_THAT(std::string(e.what()), ContainsSubstring("results endpoint POST https://r.example/in: HTTP 401"));
    CHECK(std::string(e.what()).find("tok-zzzzzz") == std::string::npos);
  }
}
