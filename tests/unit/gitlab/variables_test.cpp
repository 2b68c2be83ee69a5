#include <catch2/catch_test_macros.hpp>

#include <memory>

#include "agent/gitlab/client.h"
#include "agent/gitlab/variables.h"
#include "fake_transport.h"

using namespace agent::gitlab;

namespace {
struct Fixture {
  test::FakeTransport* transport = nullptr;
  std::unique_ptr<Client> client;
  Fixture() {
    ClientOptions o;
    o.api_url = "https://gitlab.test/api/v4";
    o.token = "glpat-unit-test-token-123";
    o.retry.max_attempts = 1;
    auto t = std::make_unique<test::FakeTransport>();
    transport = t.get();
    client = std::make_unique<Client>(o, std::move(t), [](std::chrono::milliseconds) {});
  }
};
}  // namespace

TEST_CASE("parent groups are every prefix of the project path, nearest first") {
  CHECK(parent_groups("acme/platform/api") == std::vector<std::string>{"acme/platform", "acme"});
  CHECK(parent_groups("acme/api") == std::vector<std::string>{"acme"});
  CHECK(parent_groups("api").empty());
}

TEST_CASE("project and group variables are read page by page; a user namespace and a denied group are not fatal") {
  Fixture f;
  // Project: two pages.
  f.transport->reply(200,
                     R"([{"variable_type":"env_var","key":"A","value":"aaaaaaaaaa","protected":true,"masked":false,"hidden":false,"raw":false,"environment_scope":"production","description":null}])",
                     {{"x-next-page", "2"}});
  f.transport->reply(200,
                     R"([{"variable_type":"file","key":"KUBECONFIG","value":null,"protected":false,"masked":true,"hidden":true,"raw":true,"environment_scope":"*","description":null}])");
  // acme/platform: 403 (the token is a Maintainer, group variables need the Owner role).
  f.transport->reply(403, R"({"message":"403 Forbidden"})");
  // acme: readable.
  f.transport->reply(200, R"([{"key":"GROUP_TOKEN","value":"gggggggggggg","protected":false,"masked":true}])");
  VariableListing l = list_ci_variables(*f.client, "42", "acme/platform/api");
  REQUIRE(l.variables.size() == 3);
  CHECK(l.project_read);
  CHECK(l.groups_read == 1);
  CHECK(l.variables[0].key == "A");
  CHECK(l.variables[0].value == std::optional<std::string>("aaaaaaaaaa"));
  CHECK(l.variables[0].is_protected);
  CHECK(l.variables[0].environment_scope == "production");
  CHECK(l.variables[0].level == "project");
  CHECK(l.variables[0].owner == "acme/platform/api");
  CHECK(l.variables[1].variable_type == "file");
  CHECK(!l.variables[1].value);
  CHECK(l.variables[1].hidden);
  CHECK(l.variables[2].level == "group");
  CHECK(l.variables[2].owner == "acme");
  REQUIRE(l.denied.size() == 1);
  CHECK(l.denied[0].find("group acme/platform") != std::string::npos);
  CHECK(l.denied[0].find("Owner") != std::string::npos);
  REQUIRE(f.transport->requests.size() == 4);
  CHECK(f.transport->requests[0].url.find("/projects/42/variables") != std::string::npos);
  CHECK(f.transport->requests[2].url.find("/groups/acme%2Fplatform/variables") != std::string::npos);
  CHECK(f.transport->requests[3].url.find("/groups/acme/variables") != std::string::npos);
}

TEST_CASE("a personal namespace (404) is skipped silently") {
  Fixture f;
  f.transport->reply(200, "[]");
  f.transport->reply(404, R"({"message":"404 Group Not Found"})");
  VariableListing l = list_ci_variables(*f.client, "7", "alice/tools");
  CHECK(l.variables.empty());
  CHECK(l.denied.empty());
  CHECK(l.groups_read == 0);
}
