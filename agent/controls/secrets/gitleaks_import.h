#pragma once
// `rules import-gitleaks`: a gitleaks TOML config (rules, allowlists, keywords, entropy, [extend])
// translated into one of our rule packs (rules/README.md format).
//
// What maps directly: id (lower-cased, [a-z0-9-]), description, regex (Go RE2 syntax; `secretGroup`
// becomes the named group `secret`), entropy, keywords, `path` when it is a file-name suffix
// (`\.php$` -> paths: ['*.php']), allowlist `regexes` aimed at the secret and `stopwords` (-> allow),
// the global allowlist's regexes/stopwords (-> allow of every rule it targets), `[extend] path` and
// `disabledRules`. What cannot be expressed is reported: rules whose regex Vectorscan/RE2 reject,
// path-only rules, path regexes that are not suffixes, `useDefault` without a default config file
// (those rules are skipped); allowlist parts on paths, commits, lines or matches, and AND conditions
// (dropped: the imported rule may report more than gitleaks).
//
// Gitleaks configs carry no examples, so each rule gets generated ones (regex_example.h): a string
// generated from its regex that the engine, with this rule alone, reports (up to 40 attempts);
// negatives are that example with the secret replaced (by x's, halved, removed) or a line without
// it, kept when the engine does not report the rule. A rule with no example found is skipped. The
// whole pack is then checked as `rules check` does, and rules failing there are skipped too.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "agent/findings/finding.h"

namespace agent::controls::secrets {

struct GitleaksImportOptions {
  std::string id_prefix;                             ///< prepended to every rule id
  std::optional<std::filesystem::path> default_config;  ///< what `[extend] useDefault = true` means
  findings::Severity severity = findings::Severity::high;  ///< gitleaks rules have none
};

struct GitleaksImport {
  std::string yaml;                    ///< the pack
  std::size_t total = 0;               ///< rules in the config (after [extend])
  std::size_t imported = 0;
  std::vector<std::string> skipped;    ///< "rule <id>: why"
  std::vector<std::string> notes;      ///< imported with a loss: "rule <id>: what was dropped"
};

/// Reads `config` (and what it extends) and builds the pack. Throws util::UsageError naming
/// file:line for unreadable or invalid TOML.
GitleaksImport import_gitleaks(const std::filesystem::path& config, const GitleaksImportOptions& options);

}  // namespace agent::controls::secrets
