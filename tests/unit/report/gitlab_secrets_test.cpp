#include <catch2/catch_test_macros.hpp>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "agent/util/hash.h"
#include "unit/report/fixture.h"
#include "unit/report/golden.h"

using namespace agent::report;
using namespace agent::report::test;
using nlohmann::json;

namespace {
std::string render(const agent::findings::ScanResult& r, const Options& o) { return render_with(write_gitlab_secrets, r, o); }
}  // namespace

TEST_CASE("gitlab secret-detection report matches its golden file") {
  check_golden("gitlab.json", render(fixture(), options()));
}

TEST_CASE("gitlab report holds only secrets findings, with stable ids and the scan header") {
  json doc = json::parse(render(fixture(), options()));
  CHECK(doc["version"] == "15.2.1");
  CHECK(doc["scan"]["type"] == "secret_detection");
  CHECK(doc["scan"]["status"] == "success");
  CHECK(doc["scan"]["start_time"] == "2024-05-01T12:30:05");
  CHECK(doc["scan"]["analyzer"]["id"] == "jit-agent");
  CHECK(doc["scan"]["scanner"]["vendor"]["name"] == "Jit");
  const json& vulns = doc["vulnerabilities"];
  REQUIRE(vulns.size() == 4);
  std::regex uuid("^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  auto r = fixture();
  for (const auto& v : vulns) {
    CHECK(std::regex_match(v["id"].get<std::string>(), uuid));
    CHECK(v["identifiers"][0]["type"] == "jit_agent_rule_id");
    CHECK_FALSE(v.contains("raw_source_code_extract"));
    CHECK(v["location"]["commit"]["sha"].get<std::string>().size() >= 7);
  }
  const json& pat = vulns[0];  // report order: "config/app settings.yml" line 3 comes first
  CHECK(pat["identifiers"][0]["value"] == "gitlab-pat");
  CHECK(pat["identifiers"][1] == json({{"type", "cwe"}, {"name", "CWE-798"}, {"value", "798"},
                                       {"url", "https://cwe.mitre.org/data/definitions/798.html"}}));
  CHECK(pat["id"] == agent::util::uuid_from(r.findings[1].fingerprint));
  CHECK(pat["cve"] == "config/app settings.yml:" + r.findings[1].fingerprint + ":gitlab-pat");
  CHECK(pat["severity"] == "High");
  CHECK(pat["location"]["file"] == "config/app settings.yml");
  CHECK(pat["location"]["start_line"] == 3);
  CHECK(pat["location"]["commit"]["sha"] == r.commit_sha);
}

TEST_CASE("gitlab report takes the commit from the finding, the scan, or a placeholder") {
  auto r = fixture();
  r.commit_sha.clear();
  json doc = json::parse(render(r, options()));
  for (const auto& v : doc["vulnerabilities"]) {
    if (v["location"]["file"] == "docs/evil.md")
      CHECK(v["location"]["commit"]["sha"] == "fedcba9876543210fedcba9876543210fedcba98");
    else if (v["identifiers"][0]["value"] == "aws-access-key-id")
      CHECK(v["location"]["commit"]["sha"] == "89abcdef0123456789abcdef0123456789abcdef");
    else
      CHECK(v["location"]["commit"]["sha"] == "0000000");
  }
}

TEST_CASE("gitlab report never contains the secret nor Markdown from scanned content") {
  auto o = options();
  o.show_secrets = true;
  std::string text = render(fixture(), o);
  CHECK(text.find(kRawPat) == std::string::npos);
  CHECK(text.find(kRawAws) == std::string::npos);
  CHECK(text.find("hunter2") == std::string::npos);
  CHECK(text.find("\\u001b") == std::string::npos);
  json doc = json::parse(text);
  for (const auto& v : doc["vulnerabilities"])
    if (v["location"]["file"] == "docs/evil.md")
      CHECK(v["description"].get<std::string>().find("Match (redacted): `**pw\xE2\x80\xA6`") != std::string::npos);
}

TEST_CASE("gitlab report of an empty scan is valid") {
  json doc = json::parse(render(agent::findings::ScanResult{}, options()));
  CHECK(doc["vulnerabilities"].empty());
  CHECK(doc["scan"]["start_time"] == "1970-01-01T00:00:00");
}
