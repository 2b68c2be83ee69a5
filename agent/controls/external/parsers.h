#pragma once
// Tool report formats -> Findings. Each parser keeps what the tool said (path as reported,
// its level in ToolDetail::original_severity, the format's default severity mapping); convert.h
// then confines paths to the checkout, reads snippets and computes fingerprints.
// Invalid input throws ReportError naming the format and what is wrong.
#include <string>
#include <string_view>
#include <vector>

#include "agent/findings/finding.h"
#include "agent/util/error.h"

namespace agent::controls::external {

class ReportError : public util::RuntimeError {
 public:
  using util::RuntimeError::RuntimeError;
};

struct ParsedReport {
  std::vector<findings::Finding> findings;  ///< path as the tool gave it (absolute, relative or file:// decoded)
  std::vector<std::string> warnings;        ///< problems the tool itself reported (files it could not scan)
};

/// SARIF 2.1.0: every run; rule metadata by ruleId or ruleIndex; level / security-severity.
ParsedReport parse_sarif(std::string_view text);
/// GitLab SAST report (15.x): vulnerabilities[] with identifiers, severity and location.
ParsedReport parse_gitlab_sast(std::string_view text);
/// bandit -f json: results[] (errors[] become warnings; metrics ignored).
ParsedReport parse_bandit_json(std::string_view text);
/// shellcheck --format=json1: {"comments": [...]}.
ParsedReport parse_shellcheck_json1(std::string_view text);
/// Dispatches on config::ToolSpec::format; an unknown format is a ReportError.
ParsedReport parse_report(std::string_view format, std::string_view text);

/// "CWE-78" from a tag or id like "external/cwe/cwe-78", "CWE-78", "cwe-78: ..." or "78"; "" if none.
std::string cwe_from_tag(std::string_view tag);
/// Decodes a file:// URI or percent-encoded relative reference into a path ("" for other schemes).
std::string path_from_uri(std::string_view uri);
/// Removes control characters (ESC sequences included) except newline and tab: tool text is shown
/// in terminals and MR comments.
std::string terminal_safe(std::string_view text, bool keep_newlines = true);

}  // namespace agent::controls::external
