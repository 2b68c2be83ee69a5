#pragma once
// Secret rules: the validated form of rules/secrets/*.yaml.
#include <filesystem>
#include <string>
#include <vector>

#include "agent/event/environment.h"
#include "agent/findings/finding.h"

namespace agent::controls::secrets {

/// One example (or negative example) with where it was written, for `rules check` messages.
struct Example {
  std::string text;
  std::string file;
  int line = 0;
};

struct Rule {
  std::string id;                      ///< unique, e.g. "gitlab-pat"
  std::string name;
  std::string description;
  findings::Severity severity = findings::Severity::high;
  std::string pattern;                 ///< RE2 syntax; capture group `secret` or group 1 is the secret
  std::vector<std::string> keywords;   ///< lower-case; a file must contain one for the rule to run
  double entropy = 0;                  ///< minimum Shannon entropy of the secret (0: no check)
  std::vector<std::string> allow;      ///< regexes; a secret matching any is not a finding
  std::vector<std::string> references;
  std::vector<std::string> cwes;
  std::vector<Example> examples;
  std::vector<Example> negative_examples;
  std::string file;                    ///< where the rule was defined
  int line = 0;
};

struct RuleSet {
  std::vector<Rule> rules;
  std::vector<std::string> files;      ///< the files loaded, in order
};

/// Loads every `*.yaml`/`*.yml` file under each path (files or folders). Throws util::UsageError
/// naming file:line:col for bad YAML, missing fields, wrong types, bad regexes and duplicate ids.
RuleSet load_rules(const std::vector<std::filesystem::path>& paths);

/// The built-in rule folder: $JIT_RULES_DIR, else <exe>/../share/jit-agent/rules/secrets, else
/// the source tree's rules/secrets.
std::filesystem::path default_rules_dir(const event::Environment& env);

}  // namespace agent::controls::secrets
