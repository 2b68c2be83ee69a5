#include "agent/cli/scan_runner.h"
#include "agent/cli/settings.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <sstream>

#include "agent/config/folders.h"
#include "agent/controls/dependencies/dependencies_control.h"
#include "agent/controls/dependencies/osv_db.h"
#include "agent/controls/secrets/engine.h"
#include "agent/controls/secrets/gitleaks_ignore.h"
#include "agent/controls/secrets/secrets_control.h"
#include "agent/util/error.h"
#include "agent/util/fs.h"

namespace agent::cli {
namespace fs = std::filesystem;

namespace {

std::vector<std::string> selected_controls(const ScanRequest& request) {
  if (request.controls.empty()) return kBuiltinControls;
  std::vector<std::string> out;
  for (const auto& c : request.controls) {
    if (std::find(kBuiltinControls.begin(), kBuiltinControls.end(), c) == kBuiltinControls.end())
      throw util::UsageError("--controls: unknown control '" + c + "' (known: secrets, dependencies)");
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  }
  return out;
}

/// Builds every selected control up front so bad rules or configuration fail before scanning.
std::vector<std::unique_ptr<controls::Control>> make_controls(const ScanRequest& request,
                                                              const std::vector<std::string>& names,
                                                              const util::Environment& env) {
  std::vector<std::unique_ptr<controls::Control>> out;
  for (const auto& name : names) {
    if (name == "secrets") {
      auto paths = request.rule_paths;
      if (paths.empty()) paths.push_back(rules_dir(env));
      auto rules = controls::secrets::load_rules(paths);
      fs::path cache = request.use_cache ? secrets_cache_dir(env) : fs::path{};
      controls::secrets::Engine engine(std::move(rules), cache);
      engine.set_decode_depth(request.decode_depth);
      spdlog::debug("secrets: {} rules ({})", engine.rules().rules.size(),
                    engine.loaded_from_cache() ? "database from cache" : "database compiled");
      out.push_back(std::make_unique<controls::secrets::SecretsControl>(std::move(engine)));
    } else if (name == "dependencies") {
      std::optional<fs::path> org_file;
      if (!request.config_file.empty()) {
        if (!fs::is_regular_file(request.config_file))
          throw util::UsageError(request.config_file + ": no such configuration file");
        org_file = request.config_file;
      }
      auto folders = config::load_folders(org_file, request.root);
      fs::path db = request.db_dir.empty() ? osv_db_dir(env) : fs::path(request.db_dir);
      out.push_back(std::make_unique<controls::dependencies::DependenciesControl>(db, std::move(folders)));
    }
  }
  return out;
}

/// `.gitleaksignore` at the scan root (gitleaks' fingerprints): matching findings are suppressed.
void apply_gitleaksignore(const fs::path& root, findings::ScanResult& result) {
  const fs::path file = root / ".gitleaksignore";
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return;
  auto entries = controls::secrets::parse_gitleaks_ignore(util::read_file(file), ".gitleaksignore", result.warnings);
  const std::size_t n = controls::secrets::apply_gitleaks_ignore(entries, result.findings);
  result.stats.suppressed += n;
  if (n) spdlog::info("{} finding{} suppressed by .gitleaksignore", n, n == 1 ? "" : "s");
}

}  // namespace

report::SbomLockfile to_sbom(const controls::dependencies::ScannedLockfile& scanned) {
  report::SbomLockfile sbom;
  sbom.path = scanned.parsed.path;
  sbom.folder = scanned.folder;
  sbom.format = scanned.parsed.format;
  for (const auto& p : scanned.parsed.packages)
    sbom.components.push_back({p.name, p.version, p.ecosystem, p.direct, p.direct_known});
  return sbom;
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

std::optional<findings::Severity> parse_fail_on(const std::string& text) {
  if (text == "none" || text == "never") return std::nullopt;
  auto s = findings::parse_severity(text);
  if (!s || *s == findings::Severity::unknown)
    throw util::UsageError("--fail-on " + text + ": expected info, low, medium, high, critical or none");
  return s;
}

findings::Confidence parse_min_confidence(const std::string& text) {
  auto c = findings::parse_confidence(text);
  if (!c) throw util::UsageError("--min-confidence " + text + ": expected high, medium or low");
  return *c;
}

int exit_code_for(const findings::ScanResult& result, std::optional<findings::Severity> fail_on) {
  if (!fail_on) return 0;
  // An advisory without any score must not slip through a "low" gate: unknown counts as medium.
  auto effective = [](findings::Severity s) {
    return s == findings::Severity::unknown ? findings::Severity::medium : s;
  };
  bool hit = std::any_of(result.findings.begin(), result.findings.end(),
                         [&](const findings::Finding& f) { return effective(f.severity) >= *fail_on; });
  return hit ? static_cast<int>(util::ExitCode::findings) : 0;
}

ScanOutcome run_controls(const ScanRequest& request, const util::Environment& env) {
  ScanOutcome outcome;
  auto& result = outcome.result;
  result.start_time = std::chrono::system_clock::now();
  result.root = request.root.string();
  auto names = selected_controls(request);
  auto controls = make_controls(request, names, env);

  auto listing = checkout::list_files(request.root, request.list, result.stats, result.warnings);
  result.commit_sha = listing.head_sha;
  controls::ScanInput input;
  input.root = request.root;
  input.files = std::move(listing.files);
  input.jobs = std::max(1u, request.jobs);
  input.max_file_size = request.max_file_size;
  input.commit_sha = listing.head_sha;
  spdlog::debug("{} files to scan ({})", input.files.size(), listing.from_git ? "git" : "folder walk");

  for (auto& control : controls) {
    result.controls.emplace_back(control->name());
    try {
      control->run(input, result);
    } catch (const util::UsageError&) {
      throw;
    } catch (const std::exception& e) {
      outcome.failed_controls.push_back(std::string(control->name()) + ": " + e.what());
      result.warnings.push_back(std::string(control->name()) + " failed: " + e.what());
    }
  }
  for (auto& control : controls)
    if (auto* deps = dynamic_cast<controls::dependencies::DependenciesControl*>(control.get()))
      for (const auto& scanned : deps->lockfiles()) outcome.sboms.push_back(to_sbom(scanned));
  apply_gitleaksignore(request.root, result);
  findings::sort_findings(result.findings);
  result.end_time = std::chrono::system_clock::now();
  return outcome;
}

}  // namespace agent::cli
