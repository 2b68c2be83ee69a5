#include <catch2/catch_test_macros.hpp>

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "agent/report/dependency_reports.h"

using namespace agent::report;
using agent::findings::Finding;
using agent::findings::ScanResult;
using agent::findings::Severity;

namespace {

Finding dep_finding(const std::string& lockfile, const std::string& pkg, const std::string& version,
                    const std::string& id, std::vector<std::string> aliases, const std::string& fixed) {
  Finding f;
  f.control = "dependencies";
  f.rule_id = id;
  f.rule_name = "summary of " + id;
  f.description = pkg + " " + version + " is affected by " + id;
  f.severity = Severity::high;
  f.path = lockfile;
  f.line = 3;
  f.fingerprint = "fp-" + id + pkg;
  f.cwes = {"CWE-89"};
  agent::findings::DependencyDetail d;
  d.package = pkg;
  d.version = version;
  d.ecosystem = "PyPI";
  d.advisory_id = id;
  d.aliases = std::move(aliases);
  d.summary = "summary of " + id;
  d.cvss_score = 7.5;
  d.cvss_vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N";
  d.fixed_version = fixed;
  d.direct = true;
  d.direct_known = true;
  d.lockfile = lockfile;
  d.folder = "/api";
  f.dependency = std::move(d);
  return f;
}

ScanResult sample() {
  ScanResult r;
  r.root = "repo";
  r.findings.push_back(dep_finding("api/requirements.txt", "Django", "3.2.0", "PYSEC-2021-109",
                                   {"GHSA-xpfp-f569-q3p2", "CVE-2021-35042"}, "3.2.5"));
  r.findings.push_back(dep_finding("api/requirements.txt", "flask", "0.12", "PYSEC-2018-66", {}, ""));
  Finding secret;
  secret.control = "secrets";
  secret.rule_id = "aws-key";
  secret.path = "x.py";
  r.findings.push_back(secret);
  return r;
}

}  // namespace

TEST_CASE("package URLs follow the purl spec per ecosystem") {
  CHECK(package_url("npm", "@babel/core", "7.0.0") == "pkg:npm/%40babel/core@7.0.0");
  CHECK(package_url("npm", "left-pad", "1.3.0") == "pkg:npm/left-pad@1.3.0");
  CHECK(package_url("PyPI", "Django_Rest", "3.2") == "pkg:pypi/django-rest@3.2");
  CHECK(package_url("Go", "github.com/gin-gonic/gin", "v1.5.0") == "pkg:golang/github.com/gin-gonic/gin@v1.5.0");
  CHECK(package_url("Maven", "org.apache:commons-text", "1.9") == "pkg:maven/org.apache/commons-text@1.9");
  CHECK(package_url("crates.io", "serde", "1.0.0+build") == "pkg:cargo/serde@1.0.0%2Bbuild");
  CHECK(package_url("Packagist", "Symfony/HTTP-Kernel", "5.0.0") == "pkg:composer/symfony/http-kernel@5.0.0");
  CHECK(package_url("Pub", "Http", "1.2.0") == "pkg:pub/http@1.2.0");
  CHECK(package_url("Hex", "Plug", "1.14.0") == "pkg:hex/plug@1.14.0");
  CHECK(package_url("ConanCenter", "zlib", "1.2.13") == "pkg:conan/zlib@1.2.13");
  CHECK(package_url("SwiftURL", "github.com/apple/swift-nio", "2.40.0") == "pkg:swift/github.com/apple/swift-nio@2.40.0");
  CHECK(package_url("CocoaPods", "AFNetworking", "4.0.1") == "pkg:cocoapods/AFNetworking@4.0.1");
  CHECK(package_url("CRAN", "ggplot2", "3.4.0") == "pkg:cran/ggplot2@3.4.0");
}

TEST_CASE("GitLab dependency-scanning report: identifiers, solution, location") {
  std::ostringstream out;
  write_gitlab_dependency_scanning(out, sample(), Options{});
  auto doc = nlohmann::json::parse(out.str());
  CHECK(doc["version"] == "15.2.1");
  CHECK(doc["scan"]["type"] == "dependency_scanning");
  REQUIRE(doc["vulnerabilities"].size() == 2);  // the secret is not in this report
  auto django = doc["vulnerabilities"][0]["location"]["dependency"]["package"]["name"] == "Django"
                    ? doc["vulnerabilities"][0]
                    : doc["vulnerabilities"][1];
  auto ids = django["identifiers"];
  REQUIRE(ids.size() == 4);
  CHECK(ids[0]["value"] == "PYSEC-2021-109");  // primary first
  CHECK(ids[1]["type"] == "cve");
  CHECK(ids[2]["type"] == "ghsa");
  CHECK(ids[3]["type"] == "cwe");
  CHECK(django["solution"] == "Upgrade Django to 3.2.5");
  CHECK(django["location"]["file"] == "api/requirements.txt");
  CHECK(django["location"]["dependency"]["version"] == "3.2.0");
  CHECK(django["location"]["dependency"]["direct"] == true);
  CHECK(django["cvss_vectors"][0]["vector"] == "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N");
  CHECK(django["severity"] == "High");
}

TEST_CASE("CycloneDX per lockfile: every component, vulnerabilities pointing at them") {
  SbomLockfile lf{"api/requirements.txt", "/api", "requirements.txt",
                  {{"Django", "3.2.0", "PyPI", true, true}, {"flask", "0.12", "PyPI", true, true},
                   {"click", "8.0.0", "PyPI", false, true}}};
  std::ostringstream a, b;
  write_cyclonedx_lockfile(a, lf, sample(), Options{});
  write_cyclonedx_lockfile(b, lf, sample(), Options{});
  CHECK(a.str() == b.str());  // deterministic
  auto bom = nlohmann::json::parse(a.str());
  CHECK(bom["bomFormat"] == "CycloneDX");
  CHECK(bom["specVersion"] == "1.5");
  CHECK(bom["components"].size() == 3);
  REQUIRE(bom["vulnerabilities"].size() == 2);
  auto v = bom["vulnerabilities"][0];
  CHECK(v["id"] == "PYSEC-2018-66");
  CHECK(v["recommendation"] == "No fixed version is known yet.");
  CHECK(bom["vulnerabilities"][1]["affects"][0]["ref"] == "pkg:pypi/django@3.2.0");
  CHECK(bom["vulnerabilities"][1]["ratings"][0]["method"] == "CVSSv31");
  std::ostringstream whole;
  write_cyclonedx(whole, sample(), Options{});
  CHECK(nlohmann::json::parse(whole.str())["components"].size() == 2);
}

TEST_CASE("CycloneDX per lockfile: git, URL and path packages and unpinned requirements") {
  SbomLockfile lf{"package-lock.json", "/", "package-lock.json v3", {}};
  lf.components.push_back({"left-pad", "1.3.0", "npm", true, true, "", "", ""});
  lf.components.push_back({"gitpkg", "1.0.0", "npm", true, true, "git",
                           "https://github.com/a/gitpkg.git#0123abc", ""});
  lf.components.push_back({"tarball", "2.0.0", "npm", false, true, "url", "https://example.com/t-2.0.0.tgz", ""});
  lf.components.push_back({"local", "0.1.0", "npm", true, true, "path", "packages/local", ""});
  lf.components.push_back({"loose", "", "npm", true, true, "", "", "^4.17.0"});
  CHECK(component_purl(lf.components[0]) == "pkg:npm/left-pad@1.3.0");
  CHECK(component_purl(lf.components[1]) ==
        "pkg:npm/gitpkg@1.0.0?vcs_url=git%2Bhttps://github.com/a/gitpkg.git%400123abc");
  CHECK(component_purl(lf.components[2]) == "pkg:npm/tarball@2.0.0?download_url=https://example.com/t-2.0.0.tgz");
  CHECK(component_purl(lf.components[3]) == "pkg:npm/local@0.1.0");
  CHECK(component_purl(lf.components[4]) == "pkg:npm/loose");  // a version only when exact
  std::ostringstream out;
  write_cyclonedx_lockfile(out, lf, ScanResult{}, Options{});
  auto bom = nlohmann::json::parse(out.str());
  REQUIRE(bom["components"].size() == 5);
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& c : bom["components"]) by_name[c["name"]] = c;
  auto property = [](const nlohmann::json& c, const std::string& name) -> std::string {
    for (const auto& p : c["properties"])
      if (p["name"] == name) return p["value"];
    return "";
  };
  CHECK(by_name["gitpkg"]["externalReferences"][0]["type"] == "vcs");
  CHECK(by_name["gitpkg"]["externalReferences"][0]["url"] == "https://github.com/a/gitpkg.git#0123abc");
  CHECK(property(by_name["gitpkg"], "jit:source_kind") == "git");
  CHECK(by_name["tarball"]["externalReferences"][0]["type"] == "distribution");
  CHECK_FALSE(by_name["local"].contains("externalReferences"));
  CHECK(property(by_name["local"], "jit:source") == "packages/local");
  CHECK(by_name["local"]["bom-ref"] != by_name["local"]["purl"]);  // unique even for two local copies
  CHECK_FALSE(by_name["loose"].contains("version"));
  CHECK(property(by_name["loose"], "jit:requirement") == "^4.17.0");
  CHECK_FALSE(by_name["left-pad"].contains("externalReferences"));
  CHECK(property(by_name["left-pad"], "jit:source_kind").empty());
}
