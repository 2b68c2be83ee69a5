// `jit-agent rules import-gitleaks`: a gitleaks config -> one of our rule packs.
#include "agent/cli/rules_import.h"

#include <iostream>

#include "agent/controls/secrets/gitleaks_import.h"
#include "agent/util/error.h"
#include "agent/util/fs.h"

namespace agent::cli {
namespace {

struct ImportOptions {
  std::string config;
  std::string output;
  std::string id_prefix;
  std::string default_config;
  std::string severity = "high";
};

int import(const ImportOptions& o) {
  controls::secrets::GitleaksImportOptions options;
  options.id_prefix = o.id_prefix;
  if (!o.default_config.empty()) options.default_config = o.default_config;
  auto severity = findings::parse_severity(o.severity);
  if (!severity || *severity == findings::Severity::unknown)
    throw util::UsageError("--severity " + o.severity + ": expected info, low, medium, high or critical");
  options.severity = *severity;
  auto result = controls::secrets::import_gitleaks(o.config, options);
  for (const auto& n : result.notes) std::cerr << "note: " << n << '\n';
  for (const auto& s : result.skipped) std::cerr << "skipped: " << s << '\n';
  std::cerr << o.config << ": " << result.imported << " of " << result.total << " rules imported, "
            << result.skipped.size() << " skipped\n";
  if (o.output.empty() || o.output == "-") std::cout << result.yaml;
  else util::write_file_atomic(o.output, result.yaml);
  return 0;
}

}  // namespace

void add_rules_import(CLI::App& rules, const GlobalOptions& /*global*/, Action& action) {
  auto o = std::make_shared<ImportOptions>();
  auto* cmd = rules.add_subcommand(
      "import-gitleaks",
      "Translate a gitleaks TOML config into a rule pack (examples generated); what cannot be expressed "
      "is reported on stderr");
  cmd->add_option("config", o->config, "gitleaks config (.toml)")->required();
  cmd->add_option("-o,--output", o->output, "Write the pack to FILE instead of stdout");
  cmd->add_option("--id-prefix", o->id_prefix, "Prepend PREFIX to every rule id (e.g. gitleaks-)");
  cmd->add_option("--default-config", o->default_config,
                  "The gitleaks default config that '[extend] useDefault = true' refers to");
  cmd->add_option("--severity", o->severity, "Severity of the imported rules (gitleaks has none)")->capture_default_str();
  cmd->callback([&action, o] { action = [o] { return import(*o); }; });
}

}  // namespace agent::cli
