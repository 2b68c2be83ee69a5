// GitLab dependency-scanning report, schema 15.2.1 (artifacts:reports:dependency_scanning).
#include <algorithm>

#include "agent/report/common.h"
#include "agent/report/dependency_reports.h"
#include "agent/report/time_format.h"
#include "agent/util/hash.h"

namespace agent::report {
namespace {

using Json = nlohmann::ordered_json;
using findings::Finding;

Json identifier(std::string_view id) {
  std::string s(id);
  if (s.starts_with("CVE-")) {
    return {{"type", "cve"}, {"name", s}, {"value", s}, {"url", "https://nvd.nist.gov/vuln/detail/" + s}};
  }
  if (s.starts_with("GHSA-")) {
    return {{"type", "ghsa"}, {"name", s}, {"value", s}, {"url", "https://github.com/advisories/" + s}};
  }
  return {{"type", "osv"}, {"name", s}, {"value", s}, {"url", "https://osv.dev/vulnerability/" + s}};
}

Json identifiers_of(const Finding& f) {
  const auto& d = *f.dependency;
  Json ids = Json::array();
  ids.push_back(identifier(d.advisory_id));  // primary: the advisory we matched
  // CVEs first (GitLab links and deduplicates by them), then GHSA, then other databases' ids.
  for (int pass = 0; pass < 3; ++pass) {
    for (const auto& a : d.aliases) {
      int kind = a.starts_with("CVE-") ? 0 : a.starts_with("GHSA-") ? 1 : 2;
      if (kind == pass && a != d.advisory_id && !a.empty()) ids.push_back(identifier(a));
    }
  }
  for (const auto& cwe : f.cwes) {
    auto n = cwe_number(cwe);
    if (n.empty()) continue;
    ids.push_back({{"type", "cwe"},
                   {"name", "CWE-" + n},
                   {"value", n},
                   {"url", "https://cwe.mitre.org/data/definitions/" + n + ".html"}});
  }
  return ids;
}

std::string solution_of(const findings::DependencyDetail& d) {
  const bool package_fix_covers = !d.fix_version.empty() &&
      std::find(d.fix_resolves.begin(), d.fix_resolves.end(), d.advisory_id) != d.fix_resolves.end();
  if (package_fix_covers) {
    std::string text = "Upgrade " + d.package + " to " + d.fix_version;
    const std::size_t n = d.fix_resolves.size();
    if (n > 1) text += " (fixes this and " + std::to_string(n - 1) + (n == 2 ? " other advisory" : " other advisories") +
                       " of " + d.package + " " + d.version + ")";
    return text;
  }
  if (d.fixed_version.empty()) {
    return "No fixed version of " + d.package + " is known yet for " + d.advisory_id +
           ": check the advisory for workarounds, or replace the package.";
  }
  std::string text = "Upgrade " + d.package + " to " + d.fixed_version;
  if (!d.fix_version.empty())
    text += " (" + d.fix_version + ", which fixes the package's other advisories, does not fix this one)";
  return text;
}

Json vulnerability_of(const Finding& f) {
  const auto& d = *f.dependency;
  Json v;
  v["id"] = util::uuid_from(f.fingerprint);
  std::string name = d.summary.empty() ? d.advisory_id : d.summary;
  v["name"] = truncate_utf8(sanitize_terminal(name), 255);
  std::string text = f.description.empty() ? name : f.description;
  v["description"] = truncate_utf8(sanitize_terminal(text), 1 << 20);
  v["severity"] = std::string(findings::to_gitlab(f.severity));
  v["solution"] = truncate_utf8(sanitize_terminal(solution_of(d)), 7000);
  v["identifiers"] = identifiers_of(f);
  if (d.cvss_vector.starts_with("CVSS:3.") && d.cvss_vector.size() >= 32 && d.cvss_vector.size() <= 128) {
    v["cvss_vectors"] = Json::array({{{"vendor", "OSV"}, {"vector", d.cvss_vector}}});
  }
  Json links = Json::array();
  for (const auto& ref : f.references) {
    if (ref.starts_with("https://") || ref.starts_with("http://")) links.push_back({{"url", ref}});
  }
  if (!links.empty()) v["links"] = std::move(links);
  Json dep;
  dep["package"] = {{"name", d.package}};
  dep["version"] = d.version;
  if (d.direct_known) dep["direct"] = d.direct;
  Json loc;
  loc["file"] = f.path.empty() ? d.lockfile : f.path;
  loc["dependency"] = std::move(dep);
  v["location"] = std::move(loc);
  return v;
}

}  // namespace

void write_gitlab_dependency_scanning(std::ostream& out, const findings::ScanResult& result, const Options& options) {
  Json vulnerabilities = Json::array();
  for (const auto* f : sorted_findings(result)) {
    if (f->control == "dependencies" && f->dependency && !f->dependency->package.empty()) {
      vulnerabilities.push_back(vulnerability_of(*f));
    }
  }
  write_gitlab_report(out, result, options, "dependency_scanning", "jit-agent-osv", "jit-agent dependencies (OSV)",
                      std::move(vulnerabilities));
}

}  // namespace agent::report
