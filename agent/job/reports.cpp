#include "agent/job/reports.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <sstream>
#include <utility>

#include "agent/report/report.h"
#include "agent/util/fs.h"

namespace agent::job {
namespace fs = std::filesystem;

std::string write_reports(const fs::path& dir, const findings::ScanResult& result) {
  std::vector<std::pair<std::string, std::string>> reports = {
      {"gitlab", "gl-secret-detection-report.json"}, {"sarif", "jit-agent.sarif"}, {"json", "jit-agent.json"},
      {"html", "jit-agent.html"}};
  bool dependencies_ran =
      std::find(result.controls.begin(), result.controls.end(), "dependencies") != result.controls.end();
  if (dependencies_ran) reports.emplace_back("gitlab-dependency-scanning", "gl-dependency-scanning-report.json");
  // The SAST report whenever an external control ran or was attempted (an errored one included: the
  // report then says the scan failed instead of silently reporting nothing).
  bool tools_ran = std::any_of(result.controls.begin(), result.controls.end(), [](const std::string& c) {
    return c != "secrets" && c != "dependencies";
  }) || !result.errored_controls.empty();
  if (tools_ran) reports.emplace_back("gitlab-sast", "gl-sast-report.json");
  std::string json;
  std::string written;
  for (const auto& [format, name] : reports) {
    report::Writer writer = report::writer_for(format);
    if (!writer) {
      spdlog::warn("no {} report writer in this build: {} not written", format, name);
      continue;
    }
    std::ostringstream text;
    writer(text, result, report::Options{});
    util::write_file_atomic(dir / name, text.str());
    if (format == "json") json = text.str();
    written += (written.empty() ? "" : ", ") + name;
  }
  spdlog::info("reports: {} in {}", written, dir.string());
  return json;
}

void write_sboms(const fs::path& dir, const std::vector<report::SbomLockfile>& sboms,
                 const findings::ScanResult& result, std::string_view prefix) {
  for (const auto& sbom : sboms) {
    std::string name = sbom.path;
    for (std::size_t pos = 0; (pos = name.find('/', pos)) != std::string::npos;) name.replace(pos, 1, "__");
    std::ostringstream buf;
    report::write_cyclonedx_lockfile(buf, sbom, result, report::Options{});
    util::write_file_atomic(dir / (std::string(prefix) + name + ".cdx.json"), buf.str());
  }
  if (!sboms.empty()) spdlog::info("wrote {} SBOM(s) to {}", sboms.size(), dir.string());
}

}  // namespace agent::job
