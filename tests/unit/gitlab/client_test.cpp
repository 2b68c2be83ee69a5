#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <nlohmann/json.hpp>

#include "agent/gitlab/client.h"
#include "agent/util/redact.h"
#include "fake_transport.h"

using namespace agent::gitlab;
using Catch::Matchers::ContainsSubstring;
using nlohmann::json;

namespace {
constexpr const char* kToken = "glpat-unit-test-token-123";

struct Fixture {
  test::FakeTransport* transport = nullptr;
  std::vector<std::chrono::milliseconds> sleeps;
  std::unique_ptr<Client> client;

  Fixture() {
    ClientOptions o;
    o.api_url = "https://gitlab.test/api/v4";
    o.token = kToken;
    o.retry.initial_backoff = std::chrono::milliseconds(1);
    auto t = std::make_unique<test::FakeTransport>();
    transport = t.get();
    client = std::make_unique<Client>(o, std::move(t), [this](std::chrono::milliseconds d) { sleeps.push_back(d); });
  }
};

agent::util::Environment env(std::map<std::string, std::string, std::less<>> vars) {
  return agent::util::Environment::from_map(std::move(vars));
}
}  // namespace

TEST_CASE("every request carries PRIVATE-TOKEN and JSON bodies are typed") {
  Fixture f;
  f.transport->reply(201, R"({"id":7,"body":"hello","author":{"id":3,"username":"bot"}})");
  Note n = f.client->create_note("42", 5, "hello");
  CHECK(n.id == 7);
  CHECK(n.author.username == "bot");
  REQUIRE(f.transport->requests.size() == 1);
  const auto& r = f.transport->requests[0];
  CHECK(r.method == "POST");
  CHECK(r.url == "https://gitlab.test/api/v4/projects/42/merge_requests/5/notes");
  CHECK(test::request_header(r, "PRIVATE-TOKEN") == kToken);
  CHECK(test::request_header(r, "Content-Type") == "application/json");
  CHECK(json::parse(r.body) == json{{"body", "hello"}});
}

TEST_CASE("project paths are URL-encoded") {
  Fixture f;
  f.transport->reply(201, "{}");
  f.client->set_commit_status("group/sub/app", "abc123", CommitStatus{"running", "jit-security", "Scanning", "", ""});
  CHECK(f.transport->requests[0].url == "https://gitlab.test/api/v4/projects/group%2Fsub%2Fapp/statuses/abc123");
  auto body = json::parse(f.transport->requests[0].body);
  CHECK(body["state"] == "running");
  CHECK(body["name"] == "jit-security");
  CHECK(body["description"] == "Scanning");
  CHECK_FALSE(body.contains("target_url"));
  CHECK_FALSE(body.contains("ref"));
}

TEST_CASE("a 200 whose JSON body was cut short is asked for again, within the attempt budget") {
  Fixture f;
  f.transport->reply(200, R"([{"id":"d1","notes":[]},{"id":"d2","no)");
  f.transport->reply(200, R"([{"id":"d1","notes":[]}])");
  auto ds = f.client->merge_request_discussions("42", 5);
  REQUIRE(ds.size() == 1);
  REQUIRE(f.transport->requests.size() == 2);
  CHECK(f.sleeps.size() == 1);
  // Never JSON: an ApiError naming the request once the attempts are spent (5 by default).
  Fixture g;
  for (int i = 0; i < 5; ++i) g.transport->reply(200, "<html>proxy error</html>");
  CHECK_THROWS_AS(g.client->merge_request_discussions("42", 5), ApiError);
  CHECK(g.transport->requests.size() == 5);
  CHECK(g.transport->pending() == 0);
}

TEST_CASE("lists follow every page with per_page=100") {
  Fixture f;
  f.transport->reply(200, R"([{"id":"d1","notes":[]},{"id":"d2","notes":[]}])",
                     {{"x-next-page", "2"}, {"x-total", "3"}});
  f.transport->reply(200, R"([{"id":"d3","notes":[{"id":1,"body":"x","resolved":true}]}])",
                     {{"x-next-page", ""}, {"x-total", "3"}});
  auto ds = f.client->merge_request_discussions("42", 5);
  REQUIRE(ds.size() == 3);
  CHECK(ds[2].id == "d3");
  CHECK(ds[2].notes[0].resolved);
  REQUIRE(f.transport->requests.size() == 2);
  CHECK(f.transport->requests[0].url == "https://gitlab.test/api/v4/projects/42/merge_requests/5/discussions?per_page=100");
  CHECK(f.transport->requests[1].url ==
        "https://gitlab.test/api/v4/projects/42/merge_requests/5/discussions?per_page=100&page=2");
}

TEST_CASE("a Link header is followed") {
  Fixture f;
  f.transport->reply(200, R"([{"id":110,"head_commit_sha":"h","base_commit_sha":"b","start_commit_sha":"s"}])",
                     {{"link", "<https://gitlab.test/api/v4/projects/42/merge_requests/5/versions?page=2&per_page=100>; rel=\"next\""}});
  f.transport->reply(200, R"([{"id":108}])");
  auto vs = f.client->merge_request_versions("42", 5);
  REQUIRE(vs.size() == 2);
  CHECK(vs[0].head_commit_sha == "h");
  CHECK(f.transport->requests[1].url == "https://gitlab.test/api/v4/projects/42/merge_requests/5/versions?page=2&per_page=100");
}

TEST_CASE("resolve uses PUT with resolved=true in the query") {
  Fixture f;
  f.transport->reply(200, R"({"id":"abc","notes":[{"id":1,"resolved":true}]})");
  auto d = f.client->resolve_discussion("42", 5, "abc", true);
  CHECK(d.notes.at(0).resolved);
  CHECK(f.transport->requests[0].method == "PUT");
  CHECK(f.transport->requests[0].url == "https://gitlab.test/api/v4/projects/42/merge_requests/5/discussions/abc?resolved=true");
}

TEST_CASE("a diff position is sent as a nested object") {
  Fixture f;
  f.transport->reply(201, R"({"id":"abc","notes":[{"id":1,"type":"DiffNote","body":"b"}]})");
  Position p;
  p.base_sha = "b";
  p.start_sha = "s";
  p.head_sha = "h";
  p.old_path = p.new_path = "src/a.py";
  p.new_line = 12;
  f.client->create_discussion("42", 5, "b", p);
  auto body = json::parse(f.transport->requests[0].body);
  CHECK(body["position"]["new_line"] == 12);
  CHECK_FALSE(body["position"].contains("old_line"));
  CHECK(body["position"]["position_type"] == "text");
  CHECK(body["position"]["old_path"] == "src/a.py");
}

TEST_CASE("errors name the method, path and GitLab's message, never the token") {
  Fixture f;
  f.transport->reply(401, R"({"message":"401 Unauthorized"})");
  try {
    f.client->merge_request_notes("42", 5);
    FAIL("expected ApiError");
  } catch (const ApiError& e) {
    CHECK(e.status() == 401);
    std::string what = e.what();
    CHECK_THAT(what, ContainsSubstring("GET https://gitlab.test/api/v4/projects/42/merge_requests/5/notes"));
    CHECK_THAT(what, ContainsSubstring("401 Unauthorized"));
    CHECK(what.find("401 Unauthorized: 401 Unauthorized") == std::string::npos);
    CHECK(what.find(kToken) == std::string::npos);
    CHECK(what.find("per_page") == std::string::npos);  // query strings are not shown
  }
}

TEST_CASE("validation errors carry the attribute message") {
  Fixture f;
  f.transport->reply(400, R"({"message":{"line_code":["can't be blank","must be a valid line code"]}})");
  try {
    f.client->create_discussion("42", 5, "x", Position{});
    FAIL("expected ApiError");
  } catch (const ApiError& e) {
    CHECK(e.status() == 400);
    CHECK_THAT(std::string(e.what()), ContainsSubstring("line_code"));
  }
}

TEST_CASE("retries are transparent and counted") {
  Fixture f;
  f.transport->reply(503, "busy");
  f.transport->fail("Connection reset by peer");
  f.transport->reply(201, "{}");
  f.client->set_commit_status("42", "abc", CommitStatus{"success", "jit-security", "", "", ""});
  CHECK(f.client->requests_sent() == 3);
  CHECK(f.sleeps.size() == 2);
}

TEST_CASE("a network failure after every attempt becomes ApiError with status 0") {
  Fixture f;
  for (int i = 0; i < 5; ++i) f.transport->fail("Failed to connect to gitlab.test port 443");
  try {
    f.client->create_note("42", 5, "x");
    FAIL("expected ApiError");
  } catch (const ApiError& e) {
    CHECK(e.status() == 0);
    CHECK_THAT(std::string(e.what()), ContainsSubstring("Failed to connect"));
  }
}

TEST_CASE("options from CI variables") {
  auto o = ClientOptions::from_env(env({{"CI_SERVER_URL", "https://gl.example.com/"},
                                         {"JIT_CHECKOUT_TOKEN", "checkout-token-abcdef"}}));
  CHECK(o.api_url == "https://gl.example.com/api/v4");
  CHECK(o.token == "checkout-token-abcdef");
  CHECK(agent::util::global_redactor().apply("x checkout-token-abcdef y") == "x [REDACTED] y");

  auto o2 = ClientOptions::from_env(env({{"CI_API_V4_URL", "https://api.example.com/api/v4"},
                                          {"CI_SERVER_URL", "https://gl.example.com"},
                                          {"JIT_API_TOKEN", "api-token-xyz123"},
                                          {"JIT_CHECKOUT_TOKEN", "checkout-token-abcdef"},
                                          {"CI_SERVER_TLS_CA_FILE", "/tmp/ca.pem"},
                                          {"HTTPS_PROXY", "http://proxy:3128"},
                                          {"NO_PROXY", "localhost"},
                                          {"JIT_API_MAX_ATTEMPTS", "2"},
                                          {"JIT_API_RETRY_INITIAL_MS", "5"},
                                          {"JIT_API_RETRY_MAX_SECONDS", "7"}}));
  CHECK(o2.api_url == "https://api.example.com/api/v4");
  CHECK(o2.token == "api-token-xyz123");
  CHECK(o2.transport.extra_ca_file == "/tmp/ca.pem");
  CHECK(o2.transport.https_proxy == "http://proxy:3128");
  CHECK(o2.transport.no_proxy == "localhost");
  CHECK(o2.retry.max_attempts == 2);
  CHECK(o2.retry.initial_backoff == std::chrono::milliseconds(5));
  CHECK(o2.retry.max_total == std::chrono::milliseconds(7000));

  CHECK_THROWS_AS(ClientOptions::from_env(env({{"JIT_API_MAX_ATTEMPTS", "lots"}})), agent::util::UsageError);
  CHECK_THROWS_AS(ClientOptions::from_env(env({{"JIT_API_MAX_ATTEMPTS", "0"}})), agent::util::UsageError);
}

TEST_CASE("a client without an API URL is a usage error") {
  CHECK_THROWS_AS(Client(ClientOptions{}, std::make_unique<test::FakeTransport>(), [](std::chrono::milliseconds) {}),
                  agent::util::UsageError);
}
