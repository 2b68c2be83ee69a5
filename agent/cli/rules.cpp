// `jit-agent rules check|list [PATH...]`: rule packs are code, and their examples are their tests.
#include <unistd.h>

#include <algorithm>
#include <iomanip>
#include <iostream>
#include <set>

#include "agent/cli/commands.h"
#include "agent/cli/printable.h"
#include "agent/cli/rules_import.h"
#include "agent/cli/settings.h"
#include "agent/controls/secrets/engine.h"
#include "agent/controls/secrets/rule.h"

namespace agent::cli {
namespace {
namespace secrets = controls::secrets;

struct RulesOptions {
  std::vector<std::string> paths;
  bool no_cache = false;
};

std::vector<std::filesystem::path> rule_paths(const RulesOptions& opts, const GlobalOptions& global) {
  if (opts.paths.empty()) return {rules_dir(global.env)};
  return {opts.paths.begin(), opts.paths.end()};
}

// Ids of the rules that report a finding in `ex` (scanned as the file it names, if any).
std::set<std::string> rules_found(const secrets::Engine& engine, secrets::Scratch& scratch, const secrets::Example& ex) {
  std::vector<findings::Finding> found;
  findings::ScanStats stats;
  engine.scan(ex.text, ex.path.empty() ? "example" : ex.path, scratch, found, stats);
  std::set<std::string> ids;
  for (const auto& f : found) ids.insert(f.rule_id);
  return ids;
}

// A second line explaining a miss: another (more specific) rule took the match.
std::string others(const std::set<std::string>& ids, const std::string& self) {
  std::string out;
  for (const auto& id : ids)
    if (id != self) out += (out.empty() ? "" : ", ") + id;
  return out.empty() ? "" : "  note: reported instead by: " + out + "\n";
}

int check(const RulesOptions& opts, const GlobalOptions& global) {
  secrets::RuleSet rules = secrets::load_rules(rule_paths(opts, global));
  secrets::Engine engine(std::move(rules), opts.no_cache ? std::filesystem::path{} : secrets_cache_dir(global.env));
  auto scratch = engine.make_scratch();
  std::size_t examples = 0, failures = 0;
  for (const auto& rule : engine.rules().rules) {
    // A rule is only as trustworthy as its examples: one that is never shown a real token and a
    // near miss is untested, so a pack without them fails the check.
    if (rule.examples.empty() || rule.negative_examples.empty()) {
      ++failures;
      std::cout << rule.file << ':' << rule.line << ": rule " << rule.id << ": has no "
                << (rule.examples.empty() ? "example" : "negative example") << '\n';
    }
    for (const auto& ex : rule.examples) {
      ++examples;
      auto ids = rules_found(engine, *scratch, ex);
      if (ids.count(rule.id)) continue;
      ++failures;
      std::cout << ex.file << ':' << ex.line << ": rule " << rule.id
                << ": example did not match: " << printable(ex.text, false) << '\n'
                << others(ids, rule.id);
    }
    for (const auto& ex : rule.negative_examples) {
      ++examples;
      if (!rules_found(engine, *scratch, ex).count(rule.id)) continue;
      ++failures;
      std::cout << ex.file << ':' << ex.line << ": rule " << rule.id
                << ": negative example matched: " << printable(ex.text, false) << '\n';
    }
  }
  std::cout << engine.rules().rules.size() << " rules, " << examples << " examples, " << failures
            << " failures\n";
  return failures == 0 ? 0 : 1;
}

int list(const RulesOptions& opts, const GlobalOptions& global) {
  secrets::RuleSet rules = secrets::load_rules(rule_paths(opts, global));
  std::size_t width = 0;
  for (const auto& r : rules.rules) width = std::max(width, r.id.size());
  for (const auto& r : rules.rules)
    std::cout << std::left << std::setw(static_cast<int>(width)) << r.id << "  " << std::setw(8)
              << findings::to_string(r.severity) << "  " << r.name << '\n';
  return 0;
}

}  // namespace

void add_rules(CLI::App& root, const GlobalOptions& global, Action& action) {
  auto* sub = root.add_subcommand("rules", "Check or list secret rule packs");
  sub->require_subcommand(1);
  auto opts = std::make_shared<RulesOptions>();

  auto* check_cmd = sub->add_subcommand(
      "check",
      "Compile rule packs and run every example (must match its rule) and negative example (must "
      "not). Exit 0: all pass, 1: a failure, 2: invalid rule file");
  check_cmd->add_option("paths", opts->paths, "Rule files or folders (default: the built-in rules)");
  check_cmd->add_flag("--no-cache", opts->no_cache, "Do not read or write the compiled-rules cache");
  check_cmd->callback([&action, &global, opts] { action = [&global, opts] { return check(*opts, global); }; });

  auto* list_cmd = sub->add_subcommand("list", "Print each rule's id, severity and name");
  list_cmd->add_option("paths", opts->paths, "Rule files or folders (default: the built-in rules)");
  list_cmd->callback([&action, &global, opts] { action = [&global, opts] { return list(*opts, global); }; });

  add_rules_import(*sub, global, action);
}

}  // namespace agent::cli
