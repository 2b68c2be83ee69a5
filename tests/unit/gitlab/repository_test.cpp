#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <nlohmann/json.hpp>

#include "agent/gitlab/client.h"
#include "agent/gitlab/repository_api.h"
#include "agent/util/environment.h"
#include "fake_transport.h"

using namespace agent::gitlab;
using Catch::Matchers::ContainsSubstring;
using nlohmann::json;

namespace {
constexpr const char* kToken = "glpat-repository-test-token-456";

struct Fixture {
  test::FakeTransport* transport = nullptr;
  std::unique_ptr<Client> client;

  Fixture() {
    ClientOptions o;
    o.api_url = "https://gitlab.test/api/v4";
    o.token = kToken;
    o.retry.initial_backoff = std::chrono::milliseconds(1);
    auto t = std::make_unique<test::FakeTransport>();
    transport = t.get();
    client = std::make_unique<Client>(o, std::move(t), [](std::chrono::milliseconds) {});
  }
  RepositoryApi& repo() { return *client; }
};

const char* kIgnores = "ignores:\n  - fingerprint: 722c0a28b9ba\n    reason: false_positive\n";

json file_answer(const std::string& content) {
  return {{"file_name", "ignores.yml"},
          {"file_path", "security/ignores.yml"},
          {"size", content.size()},
          {"encoding", "base64"},
          {"content", base64_encode(content)},
          {"content_sha256", "4c294617b60715c1d218e61164a3abd4808a4284cbc30e6728a01ad9aada4481"},
          {"ref", "main"},
          {"blob_id", "79f7bbd25901e8334750839545a9bd021f0e4c83"},
          {"commit_id", "d5a3ff139356ce33e37e73add446f16869741b50"},
          {"last_commit_id", "570e7b2abdd848b95f2f578043fc23bd6f6fd24d"},
          {"execute_filemode", false}};
}

CommitRequest update_request() {
  CommitRequest c;
  c.branch = "main";
  c.commit_message = "jit: ignore generic-password in group/app!3 (false positive) by @dev";
  c.author_name = "Dev Eloper";
  c.author_email = "dev@example.com";
  c.actions.push_back({CommitAction::Kind::update, "security/ignores.yml", kIgnores, "570e7b2abdd8"});
  return c;
}
}  // namespace

TEST_CASE("base64 round-trips every byte and refuses malformed text") {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  for (std::size_t n : {0u, 1u, 2u, 3u, 4u, 255u, 256u}) CHECK(base64_decode(base64_encode(all.substr(0, n))) == all.substr(0, n));
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_decode("Zm9v\nYmFy\n") == std::optional<std::string>("foobar"));  // line breaks are skipped
  CHECK_FALSE(base64_decode("Zm9").has_value());
  CHECK_FALSE(base64_decode("Zm=v").has_value());
  CHECK_FALSE(base64_decode("Zm9v*mFy").has_value());
}

TEST_CASE("get_file encodes the path and the ref and decodes the content") {
  Fixture f;
  f.transport->reply(200, file_answer(kIgnores).dump());
  auto file = f.repo().get_file("group/jit-config", "security/ignores.yml", "feature/x");
  REQUIRE(file.has_value());
  CHECK(file->content == kIgnores);
  CHECK(file->blob_id == "79f7bbd25901e8334750839545a9bd021f0e4c83");
  CHECK(file->commit_id == "d5a3ff139356ce33e37e73add446f16869741b50");
  CHECK(file->last_commit_id == "570e7b2abdd848b95f2f578043fc23bd6f6fd24d");
  CHECK(file->file_path == "security/ignores.yml");
  REQUIRE(f.transport->requests.size() == 1);
  const auto& r = f.transport->requests[0];
  CHECK(r.method == "GET");
  CHECK(r.url ==
        "https://gitlab.test/api/v4/projects/group%2Fjit-config/repository/files/security%2Fignores.yml?ref=feature%2Fx");
  CHECK(test::request_header(r, "PRIVATE-TOKEN") == kToken);
}

TEST_CASE("get_file: a missing file is nullopt, a missing project or ref is an error") {
  Fixture f;
  f.transport->reply(404, R"({"message":"404 File Not Found"})");
  CHECK_FALSE(f.repo().get_file("42", "ignores.yml", "main").has_value());

  f.transport->reply(404, R"({"message":"404 Project Not Found"})");
  CHECK_THROWS_AS(f.repo().get_file("42", "ignores.yml", "main"), ApiError);
  f.transport->reply(404, R"({"message":"404 Commit Not Found"})");
  try {
    f.repo().get_file("42", "ignores.yml", "no-such-branch");
    FAIL("expected ApiError");
  } catch (const ApiError& e) {
    CHECK(e.status() == 404);
    CHECK_THAT(std::string(e.what()), ContainsSubstring("Commit Not Found"));
  }
  CHECK(f.client->requests_sent() == 3);  // a 404 is not retried
}

TEST_CASE("get_file refuses content that is not base64") {
  Fixture f;
  json answer = file_answer("x");
  answer["content"] = "IyA9PSBTY2hlbWEgSW5mb3...";  // the documented example's truncated content
  f.transport->reply(200, answer.dump());
  try {
    f.repo().get_file("42", "security/ignores.yml", "main");
    FAIL("expected ApiError");
  } catch (const ApiError& e) {
    CHECK_THAT(std::string(e.what()), ContainsSubstring("not valid base64"));
    CHECK_THAT(std::string(e.what()), ContainsSubstring("security%2Fignores.yml"));
  }
}

TEST_CASE("create_commit sends the documented body and returns the new commit id") {
  Fixture f;
  f.transport->reply(201, R"({"id":"ed899a2f4b50b4370feeea94676502b42383c746","short_id":"ed899a2f4b5"})");
  CommitRequest c = update_request();
  c.actions.push_back({CommitAction::Kind::create, "security/new.yml", "a: 1\n", "ignored for create"});
  c.actions.push_back({CommitAction::Kind::remove, "security/old.yml", "dropped", "0123abcd"});
  CHECK(f.repo().create_commit("group/jit-config", c) == "ed899a2f4b50b4370feeea94676502b42383c746");
  REQUIRE(f.transport->requests.size() == 1);
  const auto& r = f.transport->requests[0];
  CHECK(r.method == "POST");
  CHECK(r.url == "https://gitlab.test/api/v4/projects/group%2Fjit-config/repository/commits");
  CHECK(test::request_header(r, "Content-Type") == "application/json");
  json expected = {
      {"branch", "main"},
      {"commit_message", "jit: ignore generic-password in group/app!3 (false positive) by @dev"},
      {"author_name", "Dev Eloper"},
      {"author_email", "dev@example.com"},
      {"actions",
       {{{"action", "update"}, {"file_path", "security/ignores.yml"}, {"content", kIgnores}, {"encoding", "text"},
         {"last_commit_id", "570e7b2abdd8"}},
        {{"action", "create"}, {"file_path", "security/new.yml"}, {"content", "a: 1\n"}, {"encoding", "text"}},
        {{"action", "delete"}, {"file_path", "security/old.yml"}, {"last_commit_id", "0123abcd"}}}}};
  CHECK(json::parse(r.body) == expected);
}

TEST_CASE("create_commit omits empty authors and sends bytes that are not UTF-8 as base64") {
  Fixture f;
  f.transport->reply(201, R"({"id":"abc"})");
  CommitRequest c;
  c.branch = "main";
  c.commit_message = "m";
  c.actions.push_back({CommitAction::Kind::update, "bin.dat", std::string("\xff\xfe\x00x", 4), ""});
  f.repo().create_commit("42", c);
  auto body = json::parse(f.transport->requests[0].body);
  CHECK_FALSE(body.contains("author_name"));
  CHECK_FALSE(body.contains("author_email"));
  CHECK_FALSE(body["actions"][0].contains("last_commit_id"));
  CHECK(body["actions"][0]["encoding"] == "base64");
  CHECK(base64_decode(body["actions"][0]["content"].get<std::string>()) == std::string("\xff\xfe\x00x", 4));
}

TEST_CASE("a stale last_commit_id is a StaleFileError, other refusals an ApiError") {
  Fixture f;
  f.transport->reply(400, R"({"message":"The file has changed since you started editing it: security/ignores.yml"})");
  try {
    f.repo().create_commit("42", update_request());
    FAIL("expected StaleFileError");
  } catch (const StaleFileError& e) {
    CHECK(e.status() == 400);
    std::string what = e.what();
    CHECK_THAT(what, ContainsSubstring("POST https://gitlab.test/api/v4/projects/42/repository/commits"));
    CHECK_THAT(what, ContainsSubstring("has changed since you started editing it"));
    CHECK(what.find(kToken) == std::string::npos);
  }
  // A create or an update that lost a race is the same situation: re-read and apply again.
  f.transport->reply(400, R"({"message":"A file with this name already exists"})");
  CHECK_THROWS_AS(f.repo().create_commit("42", update_request()), StaleFileError);
  f.transport->reply(400, R"({"message":"A file with this name doesn't exist"})");
  CHECK_THROWS_AS(f.repo().create_commit("42", update_request()), StaleFileError);

  f.transport->reply(400, R"({"message":"You can only create or edit files when you are on a branch"})");
  try {
    f.repo().create_commit("42", update_request());
    FAIL("expected ApiError");
  } catch (const StaleFileError&) {
    FAIL("not a stale file");
  } catch (const ApiError& e) {
    CHECK(e.status() == 400);
    CHECK_THAT(std::string(e.what()), ContainsSubstring("on a branch"));
  }
  f.transport->reply(403, R"({"message":"403 Forbidden"})");
  CHECK_THROWS_AS(f.repo().create_commit("42", update_request()), ApiError);
  f.transport->reply(201, R"({"short_id":"abc"})");
  CHECK_THROWS_AS(f.repo().create_commit("42", update_request()), ApiError);  // no id: never a silent success
}

TEST_CASE("a commit is not sent twice after an answer that may mean it was applied") {
  Fixture f;
  f.transport->reply(502, "Bad Gateway");
  CHECK_THROWS_AS(f.repo().create_commit("42", update_request()), ApiError);
  CHECK(f.transport->requests.size() == 1);
  f.transport->reply(429, "Retry later", {{"retry-after", "0"}});
  f.transport->reply(201, R"({"id":"abc"})");
  CHECK(f.repo().create_commit("42", update_request()) == "abc");  // 429: surely not applied, retried
}

TEST_CASE("member_access_level reads access_level, 0 for a non-member") {
  Fixture f;
  f.transport->reply(200, R"({"id":7,"username":"dev","access_level":30,"state":"active"})");
  CHECK(f.repo().member_access_level("group/app", 7) == access_level::developer);
  CHECK(f.transport->requests[0].url == "https://gitlab.test/api/v4/projects/group%2Fapp/members/all/7");
  CHECK(f.transport->requests[0].method == "GET");

  f.transport->reply(404, R"({"message":"404 Not found"})");
  CHECK(f.repo().member_access_level("42", 8) == access_level::none);

  f.transport->reply(404, R"({"message":"404 Project Not Found"})");
  CHECK_THROWS_AS(f.repo().member_access_level("42", 8), ApiError);
  f.transport->reply(200, R"({"id":7,"username":"dev"})");
  CHECK_THROWS_AS(f.repo().member_access_level("42", 7), ApiError);
}

TEST_CASE("repository errors never show the token, even when GitLab echoes it") {
  // The production path: from_env registers the token with the redactor.
  const std::string token = "glpat-echoed-by-a-proxy-789";
  auto o = ClientOptions::from_env(agent::util::Environment::from_map(
      {{"CI_API_V4_URL", "https://gitlab.test/api/v4"}, {"JIT_API_TOKEN", token}, {"JIT_API_MAX_ATTEMPTS", "1"}}));
  auto t = std::make_unique<test::FakeTransport>();
  auto* transport = t.get();
  Client client(o, std::move(t), [](std::chrono::milliseconds) {});
  transport->reply(500, R"({"message":"bad PRIVATE-TOKEN )" + token + R"("})");
  transport->reply(400, R"({"message":"The file has changed since you started editing it: )" + token + R"("})");
  transport->reply(503, "upstream refused " + token);
  try {
    client.member_access_level("42", 1);
    FAIL("expected ApiError");
  } catch (const ApiError& e) {
    CHECK(e.status() == 500);
    CHECK(std::string(e.what()).find(token) == std::string::npos);
  }
  try {
    client.create_commit("42", update_request());
    FAIL("expected StaleFileError");
  } catch (const StaleFileError& e) {
    CHECK(std::string(e.what()).find(token) == std::string::npos);
    CHECK_THAT(std::string(e.what()), ContainsSubstring("[REDACTED]"));
  }
  try {
    client.get_file("42", "a.yml", "main");
    FAIL("expected ApiError");
  } catch (const ApiError& e) {
    CHECK(e.status() == 503);
    CHECK(std::string(e.what()).find(token) == std::string::npos);
  }
  CHECK(test::request_header(transport->requests.at(0), "PRIVATE-TOKEN") == token);
}
