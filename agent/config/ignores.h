#pragma once
// Ignores as code: ignores.yml in the dedicated project (beside jit.yml) dismisses findings of every
// control, by fingerprint (one finding, wherever its line moves), by rule and path glob, or by
// advisory (and package) for dependencies; optionally limited to projects (glob) and until a date.
// The same file applies locally (`scan --ignores FILE`) and in CI; a baseline
// (`scan --write-baseline FILE`) is an ignores file of accepted_risk entries.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/findings/finding.h"

namespace agent::config {

enum class IgnoreReason { false_positive, accepted_risk };

/// "false_positive" | "accepted_risk".
std::string_view to_string(IgnoreReason reason);
/// Inverse of to_string; nullopt for anything else.
std::optional<IgnoreReason> parse_ignore_reason(std::string_view text);

struct IgnoreEntry {
  std::string fingerprint;       ///< one finding (our fingerprint, hex)
  std::string rule;              ///< a rule id of any control (secret rule, tool rule), optionally with `path`
  std::string advisory;          ///< dependencies: an advisory id or one of its aliases (CVE, GHSA, ...)
  std::string package;           ///< with `advisory`: only this package; alone (osv-scanner.toml overrides): all its advisories
  std::string version;           ///< with `package`: only this version (osv-scanner.toml overrides)
  std::string ecosystem;         ///< with `package`: only this OSV ecosystem (osv-scanner.toml overrides)
  std::string path;              ///< with `rule` or `advisory`: a path glob (util::glob_match)
  std::string project;           ///< only in projects matching this glob ("group/app", "group/**")
  IgnoreReason reason = IgnoreReason::false_positive;
  std::string comment;
  std::string author_username;   ///< author.username
  std::int64_t author_id = 0;    ///< author.id
  std::string created;           ///< as written (ISO 8601)
  std::string expires;           ///< "YYYY-MM-DD" (a datetime is cut to its date); "" never
  int line = 0;                  ///< 1-based line of the entry's "-" in its file
  std::string source;            ///< "file:line"
};

struct Ignores {
  std::string file;              ///< as named in messages
  std::vector<IgnoreEntry> entries;
};

/// Parses and validates an ignores file: every problem is reported (file:line:col, what is wrong,
/// the expected values, "did you mean" for misspelt keys) in one util::UsageError. An empty file
/// or `ignores: []` is valid.
Ignores parse_ignores(std::string_view yaml, const std::string& file);

/// Reads and parses `path` (an osv-scanner.toml when it ends in .toml); a missing file is a
/// util::UsageError.
Ignores load_ignores(const std::filesystem::path& path);

/// Today's date in UTC, "YYYY-MM-DD".
std::string today_utc();

/// True when `entry` has an expiry date before `today` ("YYYY-MM-DD").
bool expired(const IgnoreEntry& entry, std::string_view today);

/// True when `entry` applies to `finding` in `project` ("" = any project: a local scan), expiry
/// not considered.
bool matches(const IgnoreEntry& entry, const findings::Finding& finding, std::string_view project);

/// Moves every finding an unexpired entry of `ignores` matches from result.findings to
/// result.ignored (with its Suppression). An expired entry that would have matched leaves the
/// finding reported and adds one warning naming the entry. Returns how many were ignored.
std::size_t apply_ignores(const Ignores& ignores, findings::ScanResult& result, std::string_view project,
                          std::string_view today);

/// The entry a baseline writes for `finding`: accepted_risk by fingerprint, its rule and path in
/// the comment.
IgnoreEntry baseline_entry(const findings::Finding& finding, const std::string& created);

// ---- textual edits (keep the file's comments, order and layout: a minimal change, not a re-dump)

/// `text` with `entry` appended to its `ignores:` list (the key is added when the file has none; an
/// empty flow list `ignores: []` becomes a block list). `text` must be a valid ignores file.
std::string add_ignore_text(std::string_view text, const IgnoreEntry& entry, const std::string& file);

/// `text` without the entries whose fingerprint is `fingerprint` (their lines, and the comment
/// lines directly above each that describe it); nullopt when no entry has it.
std::optional<std::string> remove_ignore_text(std::string_view text, std::string_view fingerprint,
                                              const std::string& file);

/// An entry's YAML lines as add_ignore_text writes them ("  - fingerprint: ...\n    reason: ...\n").
std::string entry_yaml(const IgnoreEntry& entry);

}  // namespace agent::config
