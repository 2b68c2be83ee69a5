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

TEST_CASE("severity chain: CVSS v4 before v3 before v2, then the database's level, then the entry's") {
  auto rec = [](const std::string& id, const std::string& extra, const std::string& entry_extra = "") {
    return R"({"id": ")" + id + R"(", "modified": "2024-01-01T00:00:00Z", )" + extra +
           R"("affected": [{"package": {"ecosystem": "npm", "name": ")" + id + R"("}, )" + entry_extra +
           R"("ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]})";
  };
  TempDb t({
      rec("V3AND2", R"("severity": [{"type": "CVSS_V2", "score": "AV:N/AC:L/Au:N/C:C/I:C/A:C"},
                                   {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"}],)"),
      rec("V2ONLY", R"("severity": [{"type": "CVSS_V2", "score": "AV:N/AC:L/Au:N/C:P/I:N/A:N"}],)"),
      rec("LABEL", R"("database_specific": {"severity": "CRITICAL"},)"),
      rec("ECO", "", R"("ecosystem_specific": {"severity": "High"},)"),
      rec("NONE", ""),
  });
  Matcher m(*t.db);
  auto one = [&](const std::string& name) {
    auto v = m.match(pkg("npm", name, "1.0.0"));
    REQUIRE(v.size() == 1);
    return v[0];
  };
  auto v3 = one("V3AND2");
  CHECK(v3.severity_source == "cvss_v3");  // the newer standard wins over v2's 10.0
  CHECK(v3.severity == Severity::low);
  CHECK(v3.severity_record == "V3AND2");
  CHECK(one("V2ONLY").severity_source == "cvss_v2");
  CHECK(one("V2ONLY").severity == Severity::medium);
  CHECK(one("LABEL").severity_source == "database");
  CHECK(one("LABEL").severity == Severity::critical);
  CHECK(one("ECO").severity_source == "ecosystem");
  CHECK(one("ECO").severity == Severity::high);
  CHECK(one("NONE").severity_source == "none");
  CHECK(one("NONE").severity == Severity::unknown);
}

TEST_CASE("severity chain: a record without a level takes another record's of the same vulnerability") {
  const std::string go = R"({"id": "GO-2024-0001", "modified": "2024-01-01T00:00:00Z",
      "aliases": ["CVE-2024-1111", "GHSA-gggg-gggg-gggg"],
      "affected": [{"package": {"ecosystem": "Go", "name": "example.com/mod"},
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.5.0"}]}]}]})";
  // GitHub's record of the same CVE, for another ecosystem's package: the alias names it.
  const std::string ghsa = R"({"id": "GHSA-gggg-gggg-gggg", "modified": "2024-01-01T00:00:00Z",
      "aliases": ["CVE-2024-1111"], "database_specific": {"severity": "HIGH"},
      "affected": [{"package": {"ecosystem": "npm", "name": "other"},
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]})";
  // A record that names this one's CVE, but that this one does not name: found the other way.
  const std::string pysec = R"({"id": "PYSEC-2024-77", "modified": "2024-01-01T00:00:00Z",
      "aliases": ["CVE-2024-2222"],
      "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
      "affected": [{"package": {"ecosystem": "PyPI", "name": "pyother"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]})";
  const std::string go2 = R"({"id": "GO-2024-0002", "modified": "2024-01-01T00:00:00Z",
      "aliases": ["CVE-2024-2222"],
      "affected": [{"package": {"ecosystem": "Go", "name": "example.com/mod2"},
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]})";
  TempDb t({go, ghsa, pysec, go2});
  Matcher m(*t.db);
  auto a = m.match(pkg("Go", "example.com/mod", "v1.0.0"));
  REQUIRE(a.size() == 1);
  CHECK(a[0].severity == Severity::high);
  CHECK(a[0].severity_source == "alias");
  CHECK(a[0].severity_record == "GHSA-gggg-gggg-gggg");
  auto b = m.match(pkg("Go", "example.com/mod2", "v1.0.0"));
  REQUIRE(b.size() == 1);
  CHECK(b[0].severity == Severity::critical);
  CHECK(b[0].severity_source == "alias");
  CHECK(b[0].severity_record == "PYSEC-2024-77");
  CHECK(b[0].cvss_score == 9.8);
}

TEST_CASE("the package's one upgrade: smallest version fixing all, else the one fixing most") {
  auto rec = [](const std::string& id, const std::string& events, const std::string& level) {
    return R"({"id": ")" + id + R"(", "modified": "2024-01-01T00:00:00Z",
      "database_specific": {"severity": ")" + level + R"("},
      "affected": [{"package": {"ecosystem": "npm", "name": "lib"},
        "ranges": [{"type": "SEMVER", "events": )" + events + "}]}]}";
  };
  TempDb t({
      rec("A", R"([{"introduced": "0"}, {"fixed": "1.2.0"}])", "LOW"),
      rec("B", R"([{"introduced": "0"}, {"fixed": "1.4.0"}])", "HIGH"),
      // Fixed in 1.3.1 on the 1.3 line, but 1.4.0 to 2.0.0 is affected again.
      rec("C", R"([{"introduced": "0"}, {"fixed": "1.3.1"}, {"introduced": "1.4.0"}, {"fixed": "2.0.0"}])", "MODERATE"),
      rec("D", R"([{"introduced": "3.0.0"}])", "CRITICAL"),  // never fixed, from 3.0.0
  });
  Matcher m(*t.db);
  const Package p = pkg("npm", "lib", "1.0.0");
  auto vulns = m.match(p);
  REQUIRE(vulns.size() == 3);
  auto fix = m.best_fix(p, vulns);
  CHECK(fix.version == "2.0.0");  // 1.4.0 fixes A and B but C again affects it
  CHECK(fix.resolves == std::vector<std::string>{"A", "B", "C"});

  // 3.0.1 is affected by D: the best is the version that fixes the most, the most severe first.
  const Package q = pkg("npm", "lib", "3.0.0");
  auto all = m.match(q);
  REQUIRE(all.size() == 1);
  CHECK(m.best_fix(q, all).version.empty());  // no version fixes D
  CHECK(m.best_fix(q, all).resolves.empty());
}

TEST_CASE("the package's one upgrade when no version fixes everything") {
  TempDb t({
      R"({"id": "OLD", "modified": "2024-01-01T00:00:00Z", "database_specific": {"severity": "LOW"},
          "affected": [{"package": {"ecosystem": "npm", "name": "lib"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.1.0"}]}]}]})",
      R"({"id": "NOFIX", "modified": "2024-01-01T00:00:00Z", "database_specific": {"severity": "HIGH"},
          "affected": [{"package": {"ecosystem": "npm", "name": "lib"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]})",
  });
  Matcher m(*t.db);
  const Package p = pkg("npm", "lib", "1.0.0");
  auto vulns = m.match(p);
  REQUIRE(vulns.size() == 2);
  auto fix = m.best_fix(p, vulns);
  CHECK(fix.version == "1.1.0");
  CHECK(fix.resolves == std::vector<std::string>{"OLD"});
}
