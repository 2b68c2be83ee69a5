#pragma once
// Dependency-scanning outputs: GitLab's dependency_scanning report and CycloneDX 1.5 SBOMs.
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "agent/findings/finding.h"
#include "agent/report/report.h"

namespace agent::report {

/// GitLab dependency-scanning report (schema 15.2.1); only findings with a DependencyDetail.
/// Identifiers: the OSV id first, then CVE, GHSA and other aliases, then CWEs.
void write_gitlab_dependency_scanning(std::ostream& out, const findings::ScanResult& result, const Options& options);

/// One package of a lockfile, as an SBOM lists it.
struct SbomComponent {
  std::string name;
  std::string version;
  std::string ecosystem;      ///< OSV ecosystem name ("npm", "PyPI", "Go", ...)
  bool direct = false;
  bool direct_known = false;
  /// Where it comes from when not the registry: "git", "path" or "url" (see Package::source_kind).
  std::string source_kind;
  std::string source;         ///< git URL ("#<commit>" when pinned), path or URL, as written
  std::string requirement;    ///< the requirement as written when no exact version is pinned
};

/// One lockfile's inventory.
struct SbomLockfile {
  std::string path;           ///< relative to the scan root
  std::string folder;         ///< monorepo folder ("/" for the root)
  std::string format;         ///< e.g. "package-lock.json v3"
  std::vector<SbomComponent> components;
};

/// A CycloneDX 1.5 SBOM of one lockfile (GitLab's `cyclonedx` report: one file per lockfile):
/// every component with its purl, plus the vulnerabilities `result` found in that lockfile.
void write_cyclonedx_lockfile(std::ostream& out, const SbomLockfile& lockfile, const findings::ScanResult& result,
                              const Options& options);

/// The whole-scan CycloneDX 1.5 document for the format table: the vulnerable components the
/// findings name and their vulnerabilities (the full inventory needs write_cyclonedx_lockfile).
void write_cyclonedx(std::ostream& out, const findings::ScanResult& result, const Options& options);

/// Package URL (purl) of a package: "pkg:npm/%40babel/core@7.0.0", "pkg:pypi/django@3.2", ...
std::string package_url(std::string_view ecosystem, std::string_view name, std::string_view version);

/// Package URL of an SBOM component: package_url plus the purl spec's qualifiers for where it
/// comes from ("vcs_url" for git, "download_url" for a URL); the version only when exact.
std::string component_purl(const SbomComponent& c);

}  // namespace agent::report
