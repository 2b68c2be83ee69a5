#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "unit/report/fixture.h"
#include "unit/report/golden.h"

using namespace agent::report;
using namespace agent::report::test;
using nlohmann::json;

namespace {
std::string render(const agent::findings::ScanResult& r, const Options& o) { return render_with(write_json, r, o); }
}  // namespace

TEST_CASE("json report matches its golden file") {
  check_golden("json.json", render(fixture(), options()));
}

TEST_CASE("json report is versioned and carries every part of the scan") {
  json doc = json::parse(render(fixture(), options()));
  CHECK(doc["schema_version"] == "1");
  CHECK(doc["tool"]["name"] == "jit-agent");
  CHECK(doc["tool"]["version"] == "0.0.0-test");
  CHECK(doc["commit"] == "0123456789abcdef0123456789abcdef01234567");
  CHECK(doc["start_time"] == "2024-05-01T12:30:05Z");
  CHECK(doc["end_time"] == "2024-05-01T12:30:06Z");
  CHECK(doc["duration_ms"] == 1234);
  CHECK(doc["stats"]["skipped_excluded"] == 17);
  CHECK(doc["summary"]["by_severity"]["high"] == 4);
  CHECK(doc["controls"] == json::array({"secrets", "dependencies"}));
  REQUIRE(doc["findings"].size() == 8);
  for (const auto& f : doc["findings"]) {
    if (f["control"] == "secrets") {
      CHECK(f["secret"]["secret_sha256"].get<std::string>().size() == 64);
      CHECK_FALSE(f["secret"].contains("raw"));
      CHECK(f["dependency"].is_null());
    } else {
      CHECK(f["secret"].is_null());
      CHECK(f["dependency"]["advisory_id"] == f["rule_id"]);
    }
  }
  // The finding without a line or fix: unknowns are null, not 0 or "".
  auto ecdsa = std::find_if(doc["findings"].begin(), doc["findings"].end(),
                            [](const json& f) { return f["path"] == "poetry.lock"; });
  REQUIRE(ecdsa != doc["findings"].end());
  CHECK((*ecdsa)["line"].is_null());
  CHECK((*ecdsa)["dependency"]["fixed_version"].is_null());
  CHECK((*ecdsa)["dependency"]["direct"].is_null());
  CHECK((*ecdsa)["dependency"]["cvss_score"].is_null());
}

TEST_CASE("json report includes raw secrets only with show_secrets") {
  CHECK(render(fixture(), options()).find(kRawPat) == std::string::npos);
  auto o = options();
  o.show_secrets = true;
  json doc = json::parse(render(fixture(), o));
  bool found = false;
  for (const auto& f : doc["findings"])
    if (f["rule_id"] == "gitlab-pat") found = f["secret"]["raw"] == std::string(kRawPat);
  CHECK(found);
}

TEST_CASE("json report is the same whatever the order of the findings") {
  auto r = fixture();
  std::string expected = render(r, options());
  std::mt19937 rng(7);
  std::shuffle(r.findings.begin(), r.findings.end(), rng);
  CHECK(render(r, options()) == expected);
}

TEST_CASE("json report survives file names that are not UTF-8") {
  auto r = fixture();
  r.findings[0].path = "bad\xff\xfename.env";
  std::string text;
  REQUIRE_NOTHROW(text = render(r, options()));
  CHECK_NOTHROW(json::parse(text));
  CHECK(text.find("bad\xEF\xBF\xBD\xEF\xBF\xBDname.env") != std::string::npos);
}

TEST_CASE("json report of an empty scan is valid") {
  json doc = json::parse(render(agent::findings::ScanResult{}, options()));
  CHECK(doc["findings"].empty());
  CHECK(doc["commit"].is_null());
  CHECK(doc["summary"]["total"] == 0);
}
