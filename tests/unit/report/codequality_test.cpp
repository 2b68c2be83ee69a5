#include <catch2/catch_test_macros.hpp>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "unit/report/fixture.h"
#include "unit/report/golden.h"

using namespace agent::report;
using namespace agent::report::test;
using nlohmann::json;

namespace {
std::string render(const agent::findings::ScanResult& r, const Options& o) { return render_with(write_codequality, r, o); }
}  // namespace

TEST_CASE("code quality report matches its golden file") {
  check_golden("codequality.json", render(fixture(), options()));
}

TEST_CASE("code quality report lists every finding with GitLab's fields") {
  json doc = json::parse(render(fixture(), options()));
  REQUIRE(doc.is_array());
  REQUIRE(doc.size() == 8);
  std::set<std::string> severities{"info", "minor", "major", "critical", "blocker"};
  std::set<std::string> fingerprints;
  for (const auto& issue : doc) {
    CHECK_FALSE(issue["description"].get<std::string>().empty());
    CHECK_FALSE(issue["check_name"].get<std::string>().empty());
    CHECK(severities.count(issue["severity"].get<std::string>()) == 1);
    CHECK(issue["location"]["lines"]["begin"].get<int>() >= 1);
    fingerprints.insert(issue["fingerprint"].get<std::string>());
  }
  CHECK(fingerprints.size() == doc.size());  // GitLab matches base and head issues by fingerprint
  CHECK(doc[0]["location"]["path"] == "config/app settings.yml");
  CHECK(doc[0]["severity"] == "critical");  // high
}

TEST_CASE("code quality report never contains raw secrets nor terminal sequences") {
  auto o = options();
  o.show_secrets = true;
  std::string text = render(fixture(), o);
  CHECK(text.find(kRawPat) == std::string::npos);
  CHECK(text.find("hunter2") == std::string::npos);
  CHECK(text.find("\\u001b") == std::string::npos);
}

TEST_CASE("code quality report of an empty scan is an empty array") {
  CHECK(render(agent::findings::ScanResult{}, options()) == "[]\n");
}
