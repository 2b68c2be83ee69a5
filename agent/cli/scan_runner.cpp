#include "agent/cli/scan_runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>

#include "agent/controls/secrets/engine.h"
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
                                                              const event::Environment& env) {
  std::vector<std::unique_ptr<controls::Control>> out;
  for (const auto& name : names) {
    if (name == "secrets") {
      auto paths = request.rule_paths;
      if (paths.empty()) paths.push_back(controls::secrets::default_rules_dir(env));
      auto rules = controls::secrets::load_rules(paths);
      fs::path cache = request.use_cache ? controls::secrets::default_cache_dir(env) : fs::path{};
      controls::secrets::Engine engine(std::move(rules), cache);
      spdlog::debug("secrets: {} rules ({})", engine.rules().rules.size(),
                    engine.loaded_from_cache() ? "database from cache" : "database compiled");
      out.push_back(std::make_unique<controls::secrets::SecretsControl>(std::move(engine)));
    }
  }
  return out;
}

}  // namespace

std::optional<findings::Severity> parse_fail_on(const std::string& text) {
  if (text == "none" || text == "never") return std::nullopt;
  auto s = findings::parse_severity(text);
  if (!s || *s == findings::Severity::unknown)
    throw util::UsageError("--fail-on " + text + ": expected info, low, medium, high, critical or none");
  return s;
}

int exit_code_for(const findings::ScanResult& result, std::optional<findings::Severity> fail_on) {
  if (!fail_on) return 0;
  bool hit = std::any_of(result.findings.begin(), result.findings.end(),
                         [&](const findings::Finding& f) { return f.severity >= *fail_on; });
  return hit ? static_cast<int>(util::ExitCode::findings) : 0;
}

ScanOutcome run_controls(const ScanRequest& request, const event::Environment& env) {
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
  findings::sort_findings(result.findings);
  result.end_time = std::chrono::system_clock::now();
  return outcome;
}

}  // namespace agent::cli
