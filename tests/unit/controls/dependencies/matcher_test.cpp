#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <random>
#include <string>

#include "agent/controls/dependencies/matcher.h"
#include "agent/controls/dependencies/osv_import.h"

using namespace agent::controls::dependencies;
using agent::findings::Severity;
namespace fs = std::filesystem;

namespace {

OsvAffected entry(const std::string& eco, std::vector<OsvRange> ranges, std::vector<std::string> versions = {}) {
  return OsvAffected{eco, "pkg", std::move(versions), std::move(ranges), {}};
}

OsvRange range(OsvRange::Type type, std::vector<std::pair<char, std::string>> events) {
  OsvRange r;
  r.type = type;
  for (auto& [k, v] : events) r.events.push_back({static_cast<OsvEvent::Kind>(k), v});
  return r;
}

constexpr auto S = OsvRange::Type::semver;
constexpr auto E = OsvRange::Type::ecosystem;

struct TempDb {
  fs::path dir;
  std::unique_ptr<OsvDatabase> db;
  explicit TempDb(const std::vector<std::string>& records) {
    std::random_device rd;
    dir = fs::temp_directory_path() / ("jit-matcher-test-" + std::to_string(rd()));
    OsvDbWriter w(dir);
    ImportStats stats;
    for (std::size_t i = 0; i < records.size(); ++i) {
      import_json_text(w, records[i], "r" + std::to_string(i) + ".json", "import", stats);
    }
    REQUIRE(stats.skipped == 0);
    w.commit();
    db = OsvDatabase::open(dir);
    REQUIRE(db);
  }
  ~TempDb() {
    db.reset();
    fs::remove_all(dir);
  }
};

Package pkg(const std::string& eco, const std::string& name, const std::string& version) {
  Package p;
  p.ecosystem = eco;
  p.name = name;
  p.version = version;
  return p;
}

}  // namespace

TEST_CASE("introduced/fixed: the fixed version is not affected") {
  auto a = entry("npm", {range(S, {{'i', "0"}, {'f', "1.3.0"}})});
  CHECK(is_affected(a, "1.2.9"));
  CHECK(is_affected(a, "0.0.1"));
  CHECK(is_affected(a, "1.3.0-rc.1"));
  CHECK_FALSE(is_affected(a, "1.3.0"));
  CHECK_FALSE(is_affected(a, "2.0.0"));
  CHECK(smallest_fix_above(a, "1.2.9") == "1.3.0");
}

TEST_CASE("several ranges in one event list, in any order") {
  auto a = entry("npm", {range(S, {{'f', "3.2.5"}, {'i', "1.0.0"}, {'i', "3.0.0"}, {'f', "1.0.2"}})});
  CHECK_FALSE(is_affected(a, "0.9.0"));
  CHECK(is_affected(a, "1.0.1"));
  CHECK_FALSE(is_affected(a, "2.0.0"));
  CHECK(is_affected(a, "3.1.0"));
  CHECK_FALSE(is_affected(a, "3.2.5"));
  CHECK(smallest_fix_above(a, "3.1.0") == "3.2.5");
  CHECK(smallest_fix_above(a, "1.0.1") == "1.0.2");
}

TEST_CASE("last_affected includes that version; limit bounds the range") {
  auto la = entry("Maven", {range(E, {{'i', "0"}, {'l', "2.1.214"}})});
  CHECK(is_affected(la, "2.1.214"));
  CHECK_FALSE(is_affected(la, "2.1.215"));
  CHECK_FALSE(smallest_fix_above(la, "2.1.0").has_value());
  auto lim = entry("npm", {range(S, {{'i', "0"}, {'m', "2.0.0"}})});
  CHECK(is_affected(lim, "1.5.0"));
  CHECK_FALSE(is_affected(lim, "2.5.0"));
  auto star = entry("npm", {range(S, {{'i', "1.0.0"}, {'m', "*"}})});
  CHECK(is_affected(star, "99.0.0"));
  CHECK_FALSE(is_affected(star, "0.5.0"));
}

TEST_CASE("ECOSYSTEM ranges use the ecosystem's ordering; versions lists compare by it too") {
  auto py = entry("PyPI", {range(E, {{'i', "0"}, {'f', "2.0.0rc1"}})}, {"1.0"});
  CHECK(is_affected(py, "2.0.0a1"));
  CHECK(is_affected(py, "2.0.0.dev3"));
  CHECK_FALSE(is_affected(py, "2.0.0rc1"));
  CHECK(is_affected(py, "1.0.0"));  // equal to the listed "1.0" under PEP 440
  auto listed = entry("PyPI", {}, {"4.36.1"});
  CHECK(is_affected(listed, "4.36.1"));
  CHECK_FALSE(is_affected(listed, "4.36.2"));
  auto mvn = entry("Maven", {range(E, {{'i', "12.10.0"}, {'f', "12.10.2"}, {'i', "12.0"}, {'f', "12.6.7"},
                                      {'i', "11.6.1"}, {'f', "11.10.13"}})});
  CHECK(is_affected(mvn, "12.10.1"));
  CHECK_FALSE(is_affected(mvn, "12.7.0"));
  CHECK(is_affected(mvn, "11.9"));
  CHECK(smallest_fix_above(mvn, "11.9") == "11.10.13");
  auto gem = entry("RubyGems", {range(E, {{'i', "0"}, {'i', "4.0.1"}, {'f', "4.0.5"}, {'f', "3.0.21"}})});
  CHECK(is_affected(gem, "3.0.20"));
  CHECK_FALSE(is_affected(gem, "3.0.21"));
  CHECK(is_affected(gem, "4.0.2"));
  CHECK_FALSE(is_affected(gem, "4.0.5"));
}

TEST_CASE("Go versions with a v prefix match SEMVER ranges written without one") {
  auto go = entry("Go", {range(S, {{'i', "0"}, {'f', "1.6.0"}})});
  CHECK(is_affected(go, "v1.5.0"));
  CHECK(is_affected(go, "v0.0.0-20190101000000-abcdefabcdef"));
  CHECK_FALSE(is_affected(go, "v1.6.0"));
  CHECK(smallest_fix_above(go, "v1.5.0") == "1.6.0");
}

TEST_CASE("the matcher merges aliases, ignores withdrawn records and picks severity") {
  const std::string range_a = R"("ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2.1"}]}])";
  const std::string range_b = R"("ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2.3"}]}])";
  TempDb t({
      R"({"id": "GHSA-aaaa-aaaa-aaaa", "modified": "2024-01-01T00:00:00Z", "aliases": ["CVE-2024-1"],
          "summary": "from github",
          "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
          "affected": [{"package": {"ecosystem": "PyPI", "name": "Demo_Pkg"}, )" + range_a + "}]}",
      R"({"id": "PYSEC-2024-9", "modified": "2024-01-01T00:00:00Z", "aliases": ["CVE-2024-1"],
          "details": "first line\nsecond line",
          "affected": [{"package": {"ecosystem": "PyPI", "name": "demo-pkg"}, )" + range_b + "}]}",
      R"({"id": "PYSEC-2024-10", "modified": "2024-01-01T00:00:00Z", "summary": "other bug",
          "database_specific": {"severity": "MODERATE"},
          "affected": [{"package": {"ecosystem": "PyPI", "name": "demo.pkg"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]})",
      R"({"id": "PYSEC-2024-11", "modified": "2024-01-01T00:00:00Z", "withdrawn": "2024-02-01T00:00:00Z",
          "affected": [{"package": {"ecosystem": "PyPI", "name": "demo-pkg"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]})",
  });
  Matcher m(*t.db);
  auto vulns = m.match(pkg("PyPI", "demo_pkg", "1.0"));
  REQUIRE(vulns.size() == 2);
  const Vulnerability& merged = vulns[1];  // sorted by id: "PYSEC-2024-10" < "PYSEC-2024-9"
  CHECK(merged.id == "PYSEC-2024-9");
  CHECK(merged.aliases == std::vector<std::string>{"CVE-2024-1", "GHSA-aaaa-aaaa-aaaa"});
  CHECK(merged.fixed_version == "1.2.3");  // the fix both sources agree on
  CHECK(merged.cvss_score == 9.8);
  CHECK(merged.severity == Severity::critical);
  CHECK(merged.summary == "from github");  // the primary has none: an alias's is used
  const Vulnerability& other = vulns[0];
  CHECK(other.id == "PYSEC-2024-10");
  CHECK(other.fixed_version.empty());  // no fix yet
  CHECK(other.severity == Severity::medium);
  CHECK_FALSE(other.cvss_score.has_value());

  CHECK(m.match(pkg("PyPI", "demo-pkg", "1.2.3")).size() == 1);  // only the unfixed one remains
  CHECK(m.match(pkg("npm", "demo-pkg", "1.0.0")).empty());
}

TEST_CASE("a CVSS v4-only record gets its severity from the computed v4 score") {
  TempDb t({R"({"id": "GHSA-4444-4444-4444", "modified": "2024-01-01T00:00:00Z",
      "severity": [{"type": "CVSS_V4", "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N"}],
      "database_specific": {"severity": "LOW"},
      "affected": [{"package": {"ecosystem": "npm", "name": "v4pkg"},
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "2.0.0"}]}]}]})"});
  Matcher m(*t.db);
  auto vulns = m.match(pkg("npm", "v4pkg", "1.0.0"));
  REQUIRE(vulns.size() == 1);
  CHECK(vulns[0].cvss_score == 8.7);
  CHECK(vulns[0].severity == Severity::high);  // computed, not the database's "LOW"
}

TEST_CASE("real GHSA converter examples evaluate as their ranges say") {
  fs::path dir = fs::path(JIT_SHARED_DATA_DIR) / "osv" / "examples-ghsa-converter";
  if (!fs::exists(dir)) SKIP("shared OSV examples absent");
  std::random_device rd;
  fs::path db_dir = fs::temp_directory_path() / ("jit-matcher-ghsa-" + std::to_string(rd()));
  {
    OsvDbWriter w(db_dir);
    ImportStats stats;
    import_path(w, dir, "import", stats);
    CHECK(stats.records == 6);
    w.commit();
  }
  auto db = OsvDatabase::open(db_dir);
  REQUIRE(db);
  Matcher m(*db);
  CHECK(m.match(pkg("RubyGems", "activesupport", "4.2.1")).empty());  // withdrawn
  auto jq = m.match(pkg("npm", "jquery", "2.2.4"));
  REQUIRE(jq.size() == 1);
  CHECK(jq[0].id == "GHSA-mhpp-875w-9cpv");
  CHECK(jq[0].fixed_version == "3.0.0");
  CHECK(m.match(pkg("npm", "jquery", "3.0.0")).empty());
  auto pas = m.match(pkg("PyPI", "Products.PluggableAuthService", "2.6.0"));
  REQUIRE(pas.size() == 1);
  CHECK(pas[0].aliases == std::vector<std::string>{"CVE-2021-21337"});
  auto akka = m.match(pkg("Maven", "com.typesafe.akka:akka-actor_2.12", "2.5.15"));
  REQUIRE(akka.size() == 1);
  CHECK(akka[0].fixed_version == "2.5.16");
  db.reset();
  fs::remove_all(db_dir);
}
