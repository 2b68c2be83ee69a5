#pragma once
// Report writers: one function per output format, looked up by name in one table (report.cpp).
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "agent/findings/finding.h"

namespace agent::report {

struct Options {
  bool show_secrets = false;   ///< print raw secrets (text/json only; never in gitlab/sarif/codequality/html)
  bool color = false;          ///< ANSI colour (text only)
  bool show_ignored = false;   ///< list ignored findings (ScanResult::ignored) in the text output too
  bool details = false;        ///< text: one line per advisory under the per-package table (--details)
  std::string tool_version = JIT_AGENT_VERSION;
};

using Writer = void (*)(std::ostream&, const findings::ScanResult&, const Options&);

/// The writer for a format name, or nullptr. Names: text, json, sarif, gitlab (secret detection),
/// gitlab-sast, codequality, gitlab-dependency-scanning, cyclonedx, html.
Writer writer_for(std::string_view format);

/// Every known format name, for --help and error messages.
std::vector<std::string> format_names();

/// Human text grouped by file, dependency table, summary; secrets redacted unless show_secrets.
void write_text(std::ostream& out, const findings::ScanResult& result, const Options& options);
/// Our own versioned JSON format (schemas/jit-report.schema.json, docs/report-json.md).
void write_json(std::ostream& out, const findings::ScanResult& result, const Options& options);
/// SARIF 2.1.0: one run for the built-in controls, one per external tool (the tool as driver,
/// its own rule metadata); our fingerprint in partialFingerprints["jitFingerprint/v1"].
void write_sarif(std::ostream& out, const findings::ScanResult& result, const Options& options);
/// GitLab secret-detection report (schema 15.2.1); only findings of the "secrets" control.
void write_gitlab_secrets(std::ostream& out, const findings::ScanResult& result, const Options& options);
/// GitLab SAST report (schema 15.2.1); only findings of external controls (those with a tool).
void write_gitlab_sast(std::ostream& out, const findings::ScanResult& result, const Options& options);
/// GitLab Code Quality (Code Climate subset) JSON array of every finding.
void write_codequality(std::ostream& out, const findings::ScanResult& result, const Options& options);
/// One self-contained HTML page (no script, no external asset) of every control; secrets redacted.
void write_html(std::ostream& out, const findings::ScanResult& result, const Options& options);

/// Removes C0/C1 control characters and ESC sequences from text taken from scanned files.
std::string sanitize_terminal(std::string_view text);

}  // namespace agent::report
