#pragma once
// Helpers shared by the report writers of this folder (not used outside agent/report/).
#include <array>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "agent/findings/finding.h"
#include "agent/report/report.h"

namespace agent::report {

/// Pointers to the findings in report order (path, line, column, rule id, fingerprint).
std::vector<const findings::Finding*> sorted_findings(const findings::ScanResult& result);

/// True for a finding that carries a DependencyDetail (shown as a package table, not a match).
bool is_dependency(const findings::Finding& finding);

/// The monorepo folder of a dependency finding, always with a leading '/' ("/" for the root).
std::string folder_of(const findings::DependencyDetail& dependency);

/// What a report may show of a secret: the raw value with show_secrets, else the redacted form.
std::string shown_secret(const findings::Finding& finding, const Options& options);

/// Findings per severity, indexed by findings::Severity.
std::array<std::size_t, 6> count_by_severity(const std::vector<const findings::Finding*>& list);

/// The first http(s) reference of a finding, or "".
std::string first_web_reference(const findings::Finding& finding);

/// Percent-encodes a '/'-separated relative path into a URI reference (RFC 3986 path segments).
std::string uri_encode_path(std::string_view path);

/// At most `max_bytes` bytes of `text`, never cutting a UTF-8 sequence, "…" added when cut.
std::string truncate_utf8(std::string_view text, std::size_t max_bytes);

/// An inline Markdown code span holding `text` verbatim (control characters removed), so
/// scanned content can never become links, HTML or formatting in GitLab's Markdown views.
std::string markdown_code(std::string_view text);

/// Serialises `doc` with 2-space indentation and a final newline; bytes that are not UTF-8
/// (file names can be anything) become U+FFFD instead of aborting the report.
void write_json_document(std::ostream& out, const nlohmann::ordered_json& doc);

/// Writes a GitLab security report (schema 15.2.1) of `type` ("secret_detection",
/// "dependency_scanning"): the scan envelope (analyzer, scanner, times, status, warnings as
/// messages) around `vulnerabilities`.
void write_gitlab_report(std::ostream& out, const findings::ScanResult& result, const Options& options,
                         std::string_view type, std::string_view scanner_id, std::string_view scanner_name,
                         nlohmann::ordered_json vulnerabilities);

/// CWE number of "CWE-798" ("798"), or "" when `cwe` does not have that form.
std::string cwe_number(std::string_view cwe);

/// The scan envelope of a GitLab security report (analyzer, scanner, times, status "success",
/// warnings as "warn" messages); write_gitlab_report wraps it, the SAST writer amends it.
nlohmann::ordered_json gitlab_scan(const findings::ScanResult& result, const Options& options, std::string_view type,
                                   std::string_view scanner_id, std::string_view scanner_name);

/// True for a finding of an external control (it carries the tool's own metadata).
bool is_external(const findings::Finding& finding);

/// True for the controls built into jit-agent ("secrets", "dependencies"); every other is external.
bool is_builtin_control(std::string_view control);

/// "Bandit 1.7.5": the tool's own name and version, else the control's name.
std::string tool_label(const findings::Finding& finding);

/// The flagged line an external tool reported, made safe to put in a report: terminal-safe,
/// our own tokens and URL credentials redacted, at most `max_bytes`.
std::string safe_snippet(const findings::Finding& finding, std::size_t max_bytes = 1000);

/// Text a commit carries (author name or e-mail, summary) as one terminal-safe line: what comes
/// before the first line break, control characters removed, no surrounding blanks. Anyone can
/// write a commit; a "summary" holding "\nSigned-off-by: admin" must not forge a second line.
std::string commit_text(std::string_view text);

/// A commit's author as git writes an ident, "Name <email>" (either part alone when the other is
/// empty; "" when both are), each part through commit_text.
std::string commit_author(const findings::CommitDetail& commit);

/// "bandit did not run: timed out after 5m0s" (with " in folder X" when the issue names one).
std::string describe_issue(const findings::ControlIssue& issue, std::string_view verb);

}  // namespace agent::report
