#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "agent/checkout/fetch.h"
#include "agent/checkout/git.h"
#include "agent/checkout/filter_transport.h"
#include "agent/checkout/transport.h"
#include "agent/util/error.h"
#include "agent/util/redact.h"

using namespace agent::checkout;

TEST_CASE("proxy choice honours NO_PROXY") {
  const std::string proxy = "http://proxy.corp:3128";
  CHECK(proxy_for("https://gitlab.example.com/g/p.git", proxy, "") == proxy);
  CHECK(proxy_for("https://gitlab.example.com/g/p.git", "", "") == "");
  CHECK(proxy_for("https://gitlab.example.com/g/p.git", proxy, "localhost,.example.com").empty());
  CHECK(proxy_for("https://gitlab.example.com/g/p.git", proxy, "example.com").empty());
  CHECK(proxy_for("https://gitlab.example.com:8443/g/p.git", proxy, "gitlab.example.com:8443").empty());
  CHECK(proxy_for("https://notexample.com/g/p.git", proxy, "example.com") == proxy);
  CHECK(proxy_for("https://user:pw@GitLab.Example.com/p.git", proxy, "gitlab.example.com").empty());
  CHECK(proxy_for("https://anything/p.git", proxy, "*").empty());
}

TEST_CASE("the extra CA is added to the system bundle, not replacing it") {
  auto dir = std::filesystem::temp_directory_path() / "jit-ca-test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "system.pem") << "SYSTEM-CA\n";
  std::ofstream(dir / "extra.pem") << "EXTRA-CA\n";
  ensure_libgit2();
  // Neither file is a real certificate: libgit2 refuses to load the bundle, and the error names it.
  CHECK_THROWS_AS(CaBundleScope(dir / "system.pem", dir / "extra.pem"), agent::util::RuntimeError);
  CHECK_THROWS_AS(CaBundleScope(dir / "system.pem", dir / "missing.pem"), agent::util::RuntimeError);
  // No temporary bundle is left behind.
  int left = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::temp_directory_path()))
    if (e.path().filename().string().rfind("jit-ca-" + std::to_string(getpid()) + "-", 0) == 0) ++left;
  CHECK(left == 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("the credentials callback answers once, then gives up") {
  RemoteSession auth;
  auth.username = "oauth2";
  auth.token = "glpat-unit-test-token";
  git_credential* cred = nullptr;
  ensure_libgit2();
  CHECK(credentials_callback(&cred, "https://h/p.git", nullptr, GIT_CREDENTIAL_USERPASS_PLAINTEXT, &auth) == 0);
  REQUIRE(cred);
  git_credential_free(cred);
  cred = nullptr;
  CHECK(credentials_callback(&cred, "https://h/p.git", nullptr, GIT_CREDENTIAL_USERPASS_PLAINTEXT, &auth) == GIT_EAUTH);
  CHECK(auth.refused);
  CHECK(auth.calls == 2);
  std::string message = describe_remote_error(GIT_EAUTH, auth, "https://h/p.git", "fetching");
  CHECK(message.find("authentication failed (HTTP 401) for https://h/p.git") == 0);
  CHECK(message.find("glpat-unit-test-token") == std::string::npos);
}

TEST_CASE("cache keys are safe file names") {
  CHECK(sanitize_cache_key("42") == "42");
  CHECK(sanitize_cache_key("group/sub/project") == "group_sub_project");
  CHECK(sanitize_cache_key("../../etc") == "_._.._etc");
  CHECK(sanitize_cache_key("") == "_");
}

TEST_CASE("the blob filter is added to the wants section of an upload-pack request") {
  const std::string want = "want 0123456789012345678901234567890123456789 multi_ack_detailed side-band-64k thin-pack\n";
  auto pkt = [](const std::string& s) {
    char len[5];
    std::snprintf(len, sizeof len, "%04zx", s.size() + 4);
    return std::string(len) + s;
  };
  std::string body = pkt(want) + pkt("want 1123456789012345678901234567890123456789\n") + pkt("deepen 20\n") + "0000" +
                     pkt("have 2223456789012345678901234567890123456789\n") + "0009done\n";
  std::string rewritten = add_blob_filter(body);
  CHECK(rewritten == pkt(want.substr(0, want.size() - 1) + " filter\n") +
                         pkt("want 1123456789012345678901234567890123456789\n") + pkt("deepen 20\n") +
                         pkt("filter blob:none\n") + "0000" + pkt("have 2223456789012345678901234567890123456789\n") +
                         "0009done\n");
  // Not a wants request (or not understood): unchanged.
  CHECK(add_blob_filter("0000") == "0000");
  CHECK(add_blob_filter("garbage") == "garbage");
}

TEST_CASE("partial fetch needs filter and fetch-by-id in the advertisement") {
  std::string head = "001e# service=git-upload-pack\n0000";
  std::string ref = "0123456789012345678901234567890123456789 HEAD";
  CHECK(advertises_partial_fetch(head + "00aa" + ref + std::string(1, '\0') +
                                 "multi_ack thin-pack filter allow-reachable-sha1-in-want shallow\n"));
  CHECK_FALSE(advertises_partial_fetch(head + "00aa" + ref + std::string(1, '\0') + "multi_ack filter shallow\n"));
  CHECK_FALSE(advertises_partial_fetch(head + "00aa" + ref + std::string(1, '\0') +
                                       "allow-tip-sha1-in-want filtering\n"));
  CHECK_FALSE(advertises_partial_fetch(head));
}
