#pragma once
// Secret rules: the validated form of rules/secrets/*.yaml.
//
// Matching semantics every rule author can rely on:
// - A pattern is RE2 syntax limited to what Vectorscan also accepts (no lookaround, no
//   backreferences). Text is matched as bytes (Latin-1), in multi-line mode: `^` and `$` match
//   at line boundaries. `.` does not match a newline.
// - Without `multiline: true`, a match is confirmed within the line where it ends (a pattern
//   whose `\s` crosses a newline needs `multiline`).
// - The secret is the capture group named `secret`, else group 1, else the whole match.
// - A rule is *generic* when it says `generic: true` or its id starts with `generic-`. When a
//   generic rule and a specific (vendor) rule match overlapping text in a file, only the specific
//   finding is kept.
// - A rule with `paths` runs only on files whose relative path matches one of its globs
//   (util::glob_match); the decision is made per file, before any of its hits is confirmed.
// - A finding's confidence is the rule's `confidence` (default: high, medium for a generic rule),
//   lowered to low when the secret is weak (`low_confidence_entropy`), or when a rule filtering only
//   structural placeholders keeps a value the full placeholder filter would have dropped.
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/findings/finding.h"

namespace re2 {
class RE2;
}

namespace agent::controls::secrets {

/// One example (or negative example) with where it was written, for `rules check` messages.
struct Example {
  std::string text;
  std::string file;
  int line = 0;
  /// The path the example is scanned as: given as `{path: ..., text: ...}`, else, for a rule
  /// with `paths`, its first glob made concrete (`**/sitemanager.xml` -> `sitemanager.xml`),
  /// else empty (scanned as "example").
  std::string path;
};

/// Which placeholder values a rule drops (`filter_placeholders: true | false | structural`).
enum class Placeholders {
  keep,        ///< false: every value is a finding
  structural,  ///< only syntax that cannot be a value: `${VAR}`, `<password>`, `%s`, `****`, empty
  all,         ///< true (default): also documentation words (`changeme`, `password`, `example`)
};

struct Rule {
  std::string id;                      ///< unique, e.g. "gitlab-pat"
  std::string name;
  std::string description;
  findings::Severity severity = findings::Severity::high;
  /// Base confidence of its findings; the loader defaults it to medium for a generic rule.
  findings::Confidence confidence = findings::Confidence::high;
  std::string pattern;                 ///< RE2 syntax; capture group `secret` or group 1 is the secret
  std::vector<std::string> keywords;   ///< lower-case; one must occur in the match or its line
  double entropy = 0;                  ///< minimum Shannon entropy of the secret (0: no check)
  /// A secret below this Shannon entropy, or shorter than 8 bytes, is a finding with confidence
  /// low (0: no check). Unlike `entropy`, it never drops a match.
  double low_confidence_entropy = 0;
  std::vector<std::string> allow;      ///< regexes; a secret matching any is not a finding
  /// Kept for code that builds rules by hand: false means Placeholders::keep. The loader sets
  /// both; the engine reads `placeholders` unless `filter_placeholders` is false.
  bool filter_placeholders = true;
  Placeholders placeholders = Placeholders::all;
  std::vector<std::string> paths;      ///< globs; when set, the rule runs only on matching files
  bool multiline = false;              ///< the pattern may span lines (private keys)
  bool generic = false;                ///< loses to a specific rule matching the same text
  std::string checksum;                ///< "" or a checksum.h name: a secret failing it is dropped
  std::vector<std::string> references;
  std::vector<std::string> cwes;
  std::vector<Example> examples;
  std::vector<Example> negative_examples;
  std::string file;                    ///< where the rule was defined
  int line = 0;                        ///< 1-based position of the rule in `file`
  int column = 0;
  int pattern_line = 0;                ///< 1-based position of the pattern value in `file`
  int pattern_column = 0;
  /// The pattern and allow regexes as the loader compiled them to validate them, so the Engine
  /// does not compile them again (it does when these are empty, e.g. a hand-made Rule).
  std::shared_ptr<const re2::RE2> regex;
  std::vector<std::shared_ptr<const re2::RE2>> allow_regexes;
};

struct RuleSet {
  std::vector<Rule> rules;
  std::vector<std::string> files;      ///< the files loaded, in order
};

/// Loads every `*.yaml`/`*.yml` file under each path (files or folders, folders recursively, in
/// name order; a folder without any is an error). Throws util::UsageError naming file:line:col for bad YAML, unknown or missing
/// keys, wrong types, bad RE2 regexes and duplicate ids (one line per problem). A pattern that
/// RE2 accepts but Vectorscan rejects is reported, also with file:line:col, when the Engine
/// compiles the rules (so a start-up with a warm cache does not pay for that check).
RuleSet load_rules(const std::vector<std::filesystem::path>& paths);

/// Loads rules from YAML text (as if read from `file`); same checks as load_rules.
RuleSet load_rules_from_string(const std::string& yaml, const std::string& file);

/// A file name a glob matches, for scanning a path rule's plain examples: leading `**/` dropped,
/// `*` and `?` -> `x`, a class -> one of its characters (`**/sitemanager.xml` -> `sitemanager.xml`,
/// `*.pgpass` -> `x.pgpass`). The loader checks that the glob matches the result.
std::string concrete_path(std::string_view glob);

/// The built-in rule folder: <exe>/../share/jit-agent/rules/secrets, else the source tree's
/// rules/secrets ($JIT_RULES_DIR is the command layer's business: cli::rules_dir).
std::filesystem::path default_rules_dir();

}  // namespace agent::controls::secrets
