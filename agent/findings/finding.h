#pragma once
// The Finding value type shared by every control, report writer and publisher.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/util/scan_stats.h"

namespace agent::findings {

/// Ordered from least to most severe; `unknown` sorts lowest.
enum class Severity { unknown = 0, info, low, medium, high, critical };

/// "unknown" | "info" | "low" | "medium" | "high" | "critical".
std::string_view to_string(Severity s);
/// GitLab's spelling: "Unknown", "Info", "Low", "Medium", "High", "Critical".
std::string_view to_gitlab(Severity s);
/// Parses any case of the names above; nullopt for anything else.
std::optional<Severity> parse_severity(std::string_view text);

/// How sure a control is that a finding is real, ordered from least to most sure. Secrets rules
/// set it (a weak password in a credential file is `low`); other controls leave it `high`.
enum class Confidence { low = 0, medium, high };

/// "low" | "medium" | "high".
std::string_view to_string(Confidence c);
/// Parses any case of the names above; nullopt for anything else.
std::optional<Confidence> parse_confidence(std::string_view text);

/// What the secrets control knows about a match. The raw secret never leaves the process
/// unless the user asked for --show-secrets; reports carry `redacted` and `secret_sha256`.
struct SecretDetail {
  std::string redacted;        ///< a short prefix and an ellipsis, e.g. "AKIA…"
  std::string secret_sha256;   ///< hex SHA-256 of the secret value (for baselines)
  std::string raw;             ///< the secret itself; only printed with --show-secrets
  double entropy = 0;          ///< Shannon entropy (bits per char) of the secret
  std::string encoding;        ///< "" when found in plain text, else how it was encoded ("base64", "hex", "percent"; nested: "base64/hex")
};

/// A CI/CD variable whose value a `ci-variable-value` finding found. Names the variable, never
/// its value: a finding of this kind carries no `SecretDetail::raw`/`redacted` text at all.
struct VariableDetail {
  std::string key;             ///< "PROD_DB_PASSWORD"
  std::string level;           ///< "project" | "group" | "instance"
  std::string owner;           ///< full path of the project or group that defines it ("acme", "acme/api")
  std::string environment_scope = "*";  ///< GitLab's environment_scope
  std::string variable_type = "env_var";  ///< "env_var" | "file"
  bool masked = false;
  bool is_protected = false;
  bool hidden = false;
  std::string form;            ///< how the value appeared: "plain", "base64", "percent", "line" (one line of a file variable)
};

/// What the GitLab instance said about a GitLab token a secrets finding holds (issue: live
/// tokens). Set only when the token was checked.
struct TokenCheck {
  std::string status;          ///< "active" | "inactive" | "unknown"
  std::string reason;          ///< one line: why unknown or inactive ("revoked or expired (401)", "no self-inspection endpoint for deploy tokens")
  std::string instance;        ///< the instance asked ("https://gitlab.example.com"), "" when none was
  std::string endpoint;        ///< the request sent ("GET /api/v4/personal_access_tokens/self")
  std::vector<std::string> scopes;
  std::string owner;           ///< "@username" or "user 42", when the instance said
  std::string name;            ///< the token's own name, when returned
  std::string expires_at;      ///< "YYYY-MM-DD", when returned
  bool revoked_by_agent = false;  ///< JIT_REVOKE_LEAKED revoked it during this job
  std::string original_severity;  ///< the rule's level before the check changed it ("" when unchanged)
};

/// What the dependency control knows about a vulnerable package.
struct DependencyDetail {
  std::string package;
  std::string version;
  std::string ecosystem;                 ///< OSV ecosystem name ("npm", "PyPI", "Go", ...)
  std::string advisory_id;               ///< OSV id
  std::vector<std::string> aliases;      ///< CVE / GHSA ids, merged
  std::string summary;
  std::optional<double> cvss_score;      ///< base score computed from the vector
  std::string cvss_vector;
  std::string fixed_version;             ///< smallest fixed version above `version`; empty: no fix yet
  /// Where `Finding::severity` came from, first that gave a level: "cvss_v4", "cvss_v3", "cvss_v2"
  /// (the advisory's own vectors), "database" (database_specific.severity), "ecosystem"
  /// (affected[].ecosystem_specific / database_specific severity), "alias" (another record of
  /// the same vulnerability in the database), or "none" (no level anywhere: unknown).
  std::string severity_source;
  std::string severity_record;           ///< id of the record the level was read from (this advisory or an alias)
  /// The upgrade for the package as a whole (every advisory of this package, version and lockfile):
  /// the smallest version above `version` that fixes all of them; when none fixes all, the one
  /// that fixes the most. Empty: no version fixes any. Same on every advisory of the package.
  std::string fix_version;
  std::vector<std::string> fix_resolves; ///< advisory ids `fix_version` fixes (sorted)
  bool direct = false;
  bool direct_known = false;             ///< whether the lockfile format says direct/transitive
  std::string lockfile;                  ///< path of the lockfile, relative to the scan root
  std::string folder;                    ///< monorepo folder the lockfile belongs to ("/" for root)
};

/// What an external tool (a control configured in jit.yml, or a built-in preset) said about a
/// finding, kept so SARIF and the GitLab SAST report can carry the tool's own metadata.
struct ToolDetail {
  std::string tool_name;          ///< the tool's own name as its report gives it ("Bandit", "ShellCheck")
  std::string tool_version;       ///< as reported, or as `command --version` said; may be empty
  std::string format;             ///< what its report was read as: "sarif", "gitlab-sast", "bandit-json", ...
  std::string original_severity;  ///< the tool's own level before mapping ("HIGH", "warning", "error", "style")
  std::string help_uri;           ///< the rule's documentation, when the tool gives one
  std::string snippet;            ///< the flagged line as it is in the checkout (terminal-safe, secrets not redacted)
  std::vector<std::string> owasp; ///< OWASP ids the tool gave ("A03:2021")
  std::string rule_json;          ///< the tool's own rule description (SARIF reportingDescriptor) as JSON; may be empty
};

/// Why a finding was dismissed (an ignores.yml entry or a baseline): it is left out of the GitLab
/// reports, threads and the exit code, and kept in SARIF as suppressed with this justification.
struct Suppression {
  std::string reason;     ///< "false_positive" | "accepted_risk"
  std::string comment;    ///< the entry's comment, as written
  std::string author;     ///< who dismissed it ("@dev"), when known
  std::string source;     ///< where the entry is: "ignores.yml:12"
  std::string expires;    ///< "YYYY-MM-DD" or ""
};

/// The commit a history scan attributes a finding to: the first commit (in topological order)
/// whose tree holds the blob at `Finding::path`. Author and summary are as the commit says them
/// (reports make them terminal-safe).
struct CommitDetail {
  std::string author_name;
  std::string author_email;
  std::string date;      ///< author date, RFC 3339 UTC ("2024-05-01T12:00:00Z")
  std::string summary;   ///< first line of the message, at most 200 bytes
  std::string blob;      ///< object id of the blob the secret is in
};

struct Finding {
  std::string control;       ///< "secrets", "dependencies", or an external tool's name
  std::string rule_id;       ///< secret rule id, or the advisory id for dependencies
  std::string rule_name;
  std::string description;
  Severity severity = Severity::unknown;
  Confidence confidence = Confidence::high;
  std::string path;          ///< relative to the scan root, '/'-separated
  int line = 0;              ///< 1-based; 0 when unknown
  int column = 0;            ///< 1-based byte column; 0 when unknown
  int end_line = 0;
  int end_column = 0;        ///< 1-based, inclusive
  std::string fingerprint;   ///< stable across unrelated edits (hex)
  std::string commit;        ///< sha of the commit the finding was seen in, when known
  std::vector<std::string> references;
  std::vector<std::string> cwes;   ///< e.g. "CWE-798"
  std::optional<SecretDetail> secret;
  std::optional<VariableDetail> variable;  ///< set on `ci-variable-value` findings only
  std::optional<TokenCheck> token_check;   ///< set on GitLab token findings the instance was asked about
  std::optional<DependencyDetail> dependency;
  std::optional<ToolDetail> tool;  ///< set by external controls only
  std::optional<Suppression> suppression;  ///< set on the findings in ScanResult::ignored only
  std::optional<CommitDetail> provenance;  ///< set by history scans: who committed it, when
};

/// Counters every scan reports in its summary (a util type: checkout fills some of them).
using ScanStats = util::ScanStats;

/// A control that was enabled but did not run (skipped) or whose tool misbehaved (errored).
struct ControlIssue {
  std::string control;   ///< its name ("bandit", "secrets", ...)
  std::string reason;    ///< one line, redacted, terminal-safe ("timed out after 5m0s", "no Python files")
  std::string folder;    ///< the monorepo folder it concerned ("" for the whole scan)
};

/// Everything a scan produced; what every report writer takes.
struct ScanResult {
  std::vector<Finding> findings;
  /// Findings an ignore entry dismissed (each with `suppression`); not in `findings`, so no
  /// GitLab report, thread or exit code sees them. SARIF lists them as suppressed.
  std::vector<Finding> ignored;
  ScanStats stats;
  std::vector<std::string> warnings;   ///< non-fatal problems (unreadable files, bad lockfiles, ...)
  std::vector<std::string> controls;   ///< controls that ran (an errored control is listed here too)
  std::vector<ControlIssue> errored_controls;  ///< missing tool, crash, timeout, unreadable output: results incomplete
  std::vector<ControlIssue> skipped_controls;  ///< enabled but not applicable (no file of its languages, preset tool absent)
  std::string root;                    ///< what was scanned, as given by the user
  std::string commit_sha;              ///< HEAD of the scanned checkout, when it is one
  std::chrono::system_clock::time_point start_time;
  std::chrono::system_clock::time_point end_time;
};

/// Removes the findings below `min` confidence (`--min-confidence`, `min_confidence`); returns
/// how many it removed.
std::size_t drop_below_confidence(std::vector<Finding>& findings, Confidence min);

/// Sorts findings by path, line, column, rule id (the order every report uses).
void sort_findings(std::vector<Finding>& findings);

}  // namespace agent::findings
