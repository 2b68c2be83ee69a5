// The environment-to-settings plumbing of the command layer: the folders and remote settings
// the controls and checkout receive (they read no environment themselves).
#include <catch2/catch_test_macros.hpp>

#include <filesystem>

#include "agent/cli/settings.h"
#include "agent/event/jit_event.h"
#include "agent/util/redact.h"

using namespace agent::cli;
using agent::checkout::FetchRequest;
using agent::util::Environment;
namespace fs = std::filesystem;

TEST_CASE("default cache folder", "[cache]") {
  CHECK(secrets_cache_dir(Environment::from_map({{"JIT_CACHE_DIR", "/c"}, {"XDG_CACHE_HOME", "/x"}, {"HOME", "/h"}})) ==
        fs::path("/c/hsdb"));
  CHECK(secrets_cache_dir(Environment::from_map({{"XDG_CACHE_HOME", "/x"}, {"HOME", "/h"}})) ==
        fs::path("/x/jit-agent/hsdb"));
  CHECK(secrets_cache_dir(Environment::from_map({{"HOME", "/h"}})) == fs::path("/h/.cache/jit-agent/hsdb"));
  CHECK(secrets_cache_dir(Environment::from_map({})).empty());
}

TEST_CASE("default rules folder honours JIT_RULES_DIR", "[rules]") {
  auto env = Environment::from_map({{"JIT_RULES_DIR", "/some/rules"}});
  CHECK(rules_dir(env) == std::filesystem::path("/some/rules"));
  auto fallback = rules_dir(Environment::from_map({}));
  CHECK(fallback.filename() == "secrets");
}

TEST_CASE("OSV database and git mirror folders") {
  CHECK(osv_db_dir(Environment::from_map({{"JIT_DB_DIR", "/d"}, {"XDG_CACHE_HOME", "/x"}})) == fs::path("/d"));
  CHECK(osv_db_dir(Environment::from_map({{"XDG_CACHE_HOME", "/x"}, {"HOME", "/h"}})) == fs::path("/x/jit-agent/osv"));
  CHECK(osv_db_dir(Environment::from_map({{"HOME", "/h"}})) == fs::path("/h/.cache/jit-agent/osv"));
  CHECK(osv_db_dir(Environment::from_map({})) == fs::path(".cache/jit-agent/osv"));
  CHECK(git_cache_dir(Environment::from_map({{"JIT_CACHE_DIR", "/c"}, {"HOME", "/h"}})) == fs::path("/c"));
  CHECK(git_cache_dir(Environment::from_map({{"XDG_CACHE_HOME", "/x"}})) == fs::path("/x/jit-agent/git"));
  CHECK(git_cache_dir(Environment::from_map({})).empty());
}

TEST_CASE("the fetch request for an event and its environment") {
  const std::string sha = "e59094b8de0f2f91abbe4760a52d9137260252d8";
  auto mr = agent::event::parse_jit_event(
      R"({"version":1,"kind":"merge_request","project":{"id":7,"path":"g/p","default_branch":"main"},)"
      R"("merge_request":{"iid":3,"source_branch":"f","target_branch":"main","head_sha":")" + sha + R"("}})",
      "JIT_EVENT", "https://gl.example");
  Environment env = Environment::from_map({{"JIT_CHECKOUT_TOKEN", "glpat-request-test-1"},
                                           {"CI_SERVER_TLS_CA_FILE", "/tmp/ca.pem"},
                                           {"HTTPS_PROXY", "http://proxy:3128"},
                                           {"NO_PROXY", "localhost"},
                                           {"JIT_CACHE_DIR", "/cache"}});
  FetchRequest req = fetch_request_for(mr, env);
  CHECK(req.remote.url == "https://gl.example/g/p.git");
  CHECK(req.remote.username == "oauth2");
  CHECK(req.remote.token == "glpat-request-test-1");
  CHECK(req.remote.extra_ca_file == "/tmp/ca.pem");
  CHECK(req.remote.proxy == "http://proxy:3128");
  CHECK(req.remote.no_proxy == "localhost");
  CHECK(req.cache_dir == "/cache");
  CHECK(req.cache_key == "7");
  CHECK(req.head_ref == "refs/merge-requests/3/head");
  CHECK(req.head_sha == sha);
  CHECK(req.base_ref == "refs/heads/main");
  CHECK(agent::util::global_redactor().apply("x glpat-request-test-1 y") == "x [REDACTED] y");

  auto push = agent::event::parse_jit_event(
      R"({"version":1,"kind":"push","project":{"path":"g/p","default_branch":"main"},)"
      R"("push":{"before":")" + sha + R"(","after":")" + sha + R"(","ref":"refs/heads/main"}})",
      "JIT_EVENT", "https://gl.example");
  FetchRequest p = fetch_request_for(push, Environment::from_map({{"CI_JOB_TOKEN", "job-token-abc"}, {"HOME", "/home/u"}}));
  CHECK(p.remote.username == "gitlab-ci-token");
  CHECK(p.head_ref == "refs/heads/main");
  CHECK(p.base_sha.empty());  // default branch: full scan, no history needed
  CHECK(p.cache_key == "g/p");
  CHECK(p.cache_dir == "/home/u/.cache/jit-agent/git");

  auto feature = agent::event::parse_jit_event(
      R"({"version":1,"kind":"push","project":{"path":"g/p","default_branch":"main"},)"
      R"("push":{"before":")" + sha + R"(","after":")" + sha + R"(","ref":"refs/heads/feature"}})",
      "JIT_EVENT", "https://gl.example");
  CHECK(fetch_request_for(feature, Environment::from_map({})).base_sha == sha);
}
