#include "agent/cli/scan_runner.h"
#include "agent/cli/settings.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>

#include "agent/config/folders.h"
#include "agent/controls/dependencies/dependencies_control.h"
#include "agent/controls/dependencies/osv_db.h"
#include "agent/controls/external/external_control.h"
#include "agent/controls/secrets/engine.h"
#include "agent/controls/secrets/gitleaks_ignore.h"
#include "agent/controls/secrets/secrets_control.h"
#include "agent/util/error.h"
#include "agent/util/fs.h"
#include "agent/util/redact.h"

namespace agent::cli {
namespace fs = std::filesystem;

namespace {

bool is_builtin(std::string_view name) {
  return std::find(kBuiltinControls.begin(), kBuiltinControls.end(), name) != kBuiltinControls.end();
}

}  // namespace

config::Config scan_config(const ScanRequest& request) {
  std::optional<fs::path> central;
  if (!request.config_file.empty()) {
    if (!fs::is_regular_file(request.config_file))
      throw util::UsageError(request.config_file + ": no such configuration file");
    central = request.config_file;
  }
  std::optional<fs::path> repository;
  if (util::is_regular_file_within(request.root, ".jit/jit-config.yml")) repository = request.root / ".jit" / "jit-config.yml";
  config::Config cfg = config::load_config(central, repository);
  apply_control_settings(cfg, request.control_settings);
  return cfg;
}

controls::secrets::Engine make_secrets_engine(const ScanRequest& request, const util::Environment& env) {
  auto paths = request.rule_paths;
  if (paths.empty()) paths.push_back(rules_dir(env));
  auto rules = controls::secrets::load_rules(paths);
  fs::path cache = request.use_cache ? secrets_cache_dir(env) : fs::path{};
  controls::secrets::Engine engine(std::move(rules), cache);
  engine.set_decode_depth(request.decode_depth);
  spdlog::debug("secrets: {} rules ({})", engine.rules().rules.size(),
                engine.loaded_from_cache() ? "database from cache" : "database compiled");
  return engine;
}

namespace {

/// The controls to run, in order: built-in ones first, then external ones in the configuration's
/// order. Named controls are required; unnamed presets stay automatic.
struct Selection {
  std::vector<std::string> builtin;
  std::vector<config::ToolSpec> tools;
};

Selection selected_controls(const ScanRequest& request, const config::Config& cfg) {
  Selection out;
  if (request.controls.empty()) {
    if (cfg.secrets) out.builtin.push_back("secrets");
    if (cfg.dependencies) out.builtin.push_back("dependencies");
    for (const auto& t : cfg.tools)
      if (t.enabled) out.tools.push_back(t);
    return out;
  }
  std::vector<std::string> seen;
  for (const auto& c : request.controls) {
    if (std::find(seen.begin(), seen.end(), c) != seen.end()) continue;
    seen.push_back(c);
    if (is_builtin(c)) {
      out.builtin.push_back(c);
      continue;
    }
    auto it = std::find_if(cfg.tools.begin(), cfg.tools.end(), [&](const config::ToolSpec& t) { return t.name == c; });
    if (it == cfg.tools.end()) {
      std::string known = "secrets, dependencies";
      for (const auto& t : cfg.tools) known += ", " + t.name;
      throw util::UsageError("--controls: unknown control '" + c + "' (known: " + known +
                             "; define others in jit.yml or with --control-set " + c + ".command=...)");
    }
    config::ToolSpec spec = *it;
    spec.enabled = true;
    spec.automatic = false;  // asked for by name: a missing tool is an error, not a skip
    out.tools.push_back(std::move(spec));
  }
  std::stable_partition(out.builtin.begin(), out.builtin.end(), [](const std::string& n) { return n == "secrets"; });
  return out;
}

/// Builds every selected control up front so bad rules or configuration fail before scanning.
std::vector<std::unique_ptr<controls::Control>> make_controls(const ScanRequest& request, const Selection& selection,
                                                              const config::FoldersConfig& folders,
                                                              const util::Environment& env) {
  std::vector<std::unique_ptr<controls::Control>> out;
  for (const auto& name : selection.builtin) {
    if (name == "secrets") {
      out.push_back(std::make_unique<controls::secrets::SecretsControl>(make_secrets_engine(request, env)));
    } else if (name == "dependencies") {
      fs::path db = request.db_dir.empty() ? osv_db_dir(env) : fs::path(request.db_dir);
      out.push_back(std::make_unique<controls::dependencies::DependenciesControl>(db, folders));
    }
  }
  controls::external::ExternalOptions options;
  options.env = &env;
  options.tools_dir = tools_dir(env);
  for (const auto& spec : selection.tools)
    out.push_back(std::make_unique<controls::external::ExternalControl>(spec, options));
  return out;
}

/// `.gitleaksignore` at the scan root (gitleaks' fingerprints): matching findings are suppressed.
void apply_gitleaksignore(const fs::path& root, findings::ScanResult& result) {
  const fs::path file = root / ".gitleaksignore";
  if (!util::is_regular_file_within(root, ".gitleaksignore")) return;
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
    sbom.components.push_back(
        {p.name, p.version, p.ecosystem, p.direct, p.direct_known, p.source_kind, p.source, p.requirement});
  return sbom;
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

void apply_control_settings(config::Config& cfg, const std::vector<std::string>& settings) {
  if (settings.empty()) return;
  // One YAML document, `controls: {NAME: {KEY: VALUE}}`, validated by the same loader as jit.yml.
  YAML::Node controls(YAML::NodeType::Map);
  for (const auto& s : settings) {
    const auto eq = s.find('=');
    const auto dot = s.find('.');
    if (eq == std::string::npos || dot == std::string::npos || dot == 0 || dot + 1 >= eq)
      throw util::UsageError("--control-set " + s + ": expected NAME.KEY=VALUE (e.g. mytool.format=sarif)");
    const std::string name = s.substr(0, dot);
    const std::string key = s.substr(dot + 1, eq - dot - 1);
    const std::string text = s.substr(eq + 1);
    YAML::Node value;
    try {
      value = YAML::Load(text);
    } catch (const YAML::Exception&) {
      value = YAML::Node(text);  // not YAML: the plain string
    }
    if (value.IsNull() && !text.empty() && text != "null" && text != "~") value = YAML::Node(text);
    if (!controls[name].IsMap()) controls[name] = YAML::Node(YAML::NodeType::Map);
    if (controls[name][key].IsDefined() && !controls[name][key].IsNull())
      throw util::UsageError("--control-set " + s + ": " + name + "." + key + " is set twice");
    controls[name][key] = value;
  }
  YAML::Node root(YAML::NodeType::Map);
  root["controls"] = controls;
  YAML::Emitter emitter;
  emitter << root;
  config::apply_layer(cfg, emitter.c_str(), "--control-set", config::Layer::central);
}

int exit_code_for(const findings::ScanResult& result, std::optional<findings::Severity> fail_on) {
  if (!result.errored_controls.empty()) return static_cast<int>(util::ExitCode::control);
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
  const config::Config cfg = scan_config(request);
  std::optional<fs::path> org_file;
  if (!request.config_file.empty()) org_file = request.config_file;
  const auto folders = config::load_folders(org_file, request.root);
  auto controls = make_controls(request, selected_controls(request, cfg), folders, env);

  auto listing = checkout::list_files(request.root, request.list, result.stats, result.warnings);
  result.commit_sha = listing.head_sha;
  controls::ScanInput input;
  input.root = request.root;
  input.files = std::move(listing.files);
  input.jobs = std::max(1u, request.jobs);
  input.max_file_size = request.max_file_size;
  input.commit_sha = listing.head_sha;
  for (const auto& f : folders.folders) {
    std::string path = f.path;
    while (!path.empty() && path.front() == '/') path.erase(0, 1);
    while (!path.empty() && path.back() == '/') path.pop_back();
    input.folders.push_back(path.empty() ? "" : path);
  }
  spdlog::debug("{} files to scan ({})", input.files.size(), listing.from_git ? "git" : "folder walk");

  for (auto& control : controls) {
    result.controls.emplace_back(control->name());
    try {
      control->run(input, result);
    } catch (const util::UsageError&) {
      throw;
    } catch (const std::exception& e) {
      // A built-in control failing at runtime is reported like an external tool failing.
      result.errored_controls.push_back({std::string(control->name()), util::global_redactor().apply(e.what()), ""});
      spdlog::error("{} did not complete: {}", control->name(), util::global_redactor().apply(e.what()));
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
