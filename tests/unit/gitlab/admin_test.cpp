#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <nlohmann/json.hpp>

#include "agent/gitlab/admin.h"
#include "agent/gitlab/client.h"
#include "fake_transport.h"

using namespace agent::gitlab;
using Catch::Matchers::ContainsSubstring;
using nlohmann::json;

TEST_CASE("redact_body hides tokens, variable values and url variables, at any depth") {
  json body = {{"key", "JIT_CHECKOUT_TOKEN"},
               {"value", "glpat-secret-value-0001"},
               {"token", "hook-secret"},
               {"url_variables", json::array({{{"key", "trigger_token"}, {"value", "glptt-abc123"}}})},
               {"content", std::string(200, 'x')},
               {"push_events", true}};
  json out = redact_body(body);
  CHECK(out["key"] == "JIT_CHECKOUT_TOKEN");
  CHECK(out["value"] == "[REDACTED]");
  CHECK(out["token"] == "[REDACTED]");
  CHECK(out["url_variables"][0]["key"] == "trigger_token");
  CHECK(out["url_variables"][0]["value"] == "[REDACTED]");
  CHECK(out["content"] == "<200 bytes>");
  CHECK(out["push_events"] == true);
  const std::string line = describe({"POST", "/projects/1/variables", body});
  CHECK_THAT(line, ContainsSubstring("POST /projects/1/variables {"));
  CHECK(line.find("glpat-secret") == std::string::npos);
  CHECK(line.find("glptt-abc123") == std::string::npos);
  CHECK(describe({"GET", "/groups/acme", json()}) == "GET /groups/acme");
}

TEST_CASE("hook_differences names every event that is not exactly what the agent uses") {
  json hook = wanted_hook_settings();
  CHECK(hook_differences(hook).empty());
  CHECK(hook["push_events"] == true);
  CHECK(hook["subgroup_events"] == true);
  CHECK(hook["pipeline_events"] == false);
  hook["note_events"] = false;
  hook["job_events"] = true;
  hook["enable_ssl_verification"] = false;
  CHECK(hook_differences(hook) == std::vector<std::string>{"note_events", "job_events", "enable_ssl_verification"});
  // A GitLab that does not list an event has it off: fine for an unwanted one, a difference for a wanted one.
  json older = wanted_hook_settings();
  older.erase("resource_access_token_events");
  CHECK(hook_differences(older).empty());
  older.erase("subgroup_events");
  CHECK(hook_differences(older) == std::vector<std::string>{"subgroup_events"});
}

TEST_CASE("the trigger URL keeps the token out as a URL variable") {
  CHECK(trigger_url_template("https://gitlab.example.com/api/v4", "acme/jit-security", "main") ==
        "https://gitlab.example.com/api/v4/projects/acme%2Fjit-security/ref/main/trigger/pipeline?token={trigger_token}");
}

TEST_CASE("AdminApi: a dry run sends nothing and reports every request") {
  std::vector<AdminRequest> seen;
  AdminApi api(nullptr, [&seen](const AdminRequest& r) { seen.push_back(r); });
  CHECK(api.dry_run());
  CHECK_FALSE(api.find("/groups/acme").has_value());
  CHECK(api.list("/groups/acme/hooks").empty());
  CHECK(api.write("POST", "/projects", {{"name", "x"}}).is_null());
  REQUIRE(seen.size() == 3);
  CHECK(seen[2].method == "POST");
  CHECK(seen[2].body["name"] == "x");
}

TEST_CASE("AdminApi: find answers nothing on 404 and throws on other failures") {
  ClientOptions o;
  o.api_url = "https://gitlab.test/api/v4";
  o.token = "glpat-unit-admin-token-1";
  o.retry.max_attempts = 1;
  auto t = std::make_unique<test::FakeTransport>();
  auto* transport = t.get();
  Client client(o, std::move(t), [](std::chrono::milliseconds) {});
  AdminApi api(&client, nullptr);
  transport->reply(404, R"({"message":"404 Project Not Found"})");
  CHECK_FALSE(api.find("/projects/acme%2Fjit-security").has_value());
  transport->reply(200, R"({"id": 12})");
  CHECK(api.find("/projects/acme%2Fjit-security").value()["id"] == 12);
  transport->reply(403, R"({"message":"403 Forbidden"})");
  CHECK_THROWS_AS(api.find("/groups/acme/hooks/1"), ApiError);
  transport->reply(201, R"({"id": 5, "token": "glptt-x"})");
  CHECK(api.write("POST", "/projects/12/triggers", {{"description", "d"}})["id"] == 5);
  CHECK(transport->requests.back().method == "POST");
  CHECK_THAT(transport->requests.back().body, ContainsSubstring("\"description\":\"d\""));
}
