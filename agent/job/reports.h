#pragma once
// The report files a CI job writes into its output folder (the job's artifacts), before anything
// is posted: GitLab's secret detection, dependency scanning and SAST reports, SARIF, JSON, the HTML
// report for people (exposed in the merge request by the templates' artifacts:expose_as), and one
// CycloneDX SBOM per lockfile.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "agent/findings/finding.h"
#include "agent/report/dependency_reports.h"

namespace agent::job {

/// Writes the reports into `dir` and returns the JSON report's text. The dependency scanning
/// report only when that control ran, the SAST report when an external control ran or errored.
std::string write_reports(const std::filesystem::path& dir, const findings::ScanResult& result);

/// Writes one CycloneDX 1.5 SBOM per lockfile into `dir`, named `prefix` + the lockfile path with
/// '/' as "__" + ".cdx.json" (e.g. "gl-sbom-services__web__package-lock.json.cdx.json").
void write_sboms(const std::filesystem::path& dir, const std::vector<report::SbomLockfile>& sboms,
                 const findings::ScanResult& result, std::string_view prefix);

}  // namespace agent::job
