// The native JSON formats of bandit and shellcheck, and GitLab's SAST report.
#include <algorithm>
#include <cctype>

#include "agent/controls/external/json_access.h"
#include "agent/controls/external/parsers.h"

namespace agent::controls::external {
namespace {

using namespace json_access;
using findings::Severity;

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

ParsedReport parse_bandit_json(std::string_view text) {
  json doc = parse("bandit-json", text);
  require_object(doc, "bandit-json: the document");
  const json& results = required_array(doc, "results", "bandit-json: the document");
  ParsedReport out;
  if (const json* errors = array(doc, "errors", "bandit-json: the document")) {
    for (const auto& e : *errors)
      out.warnings.push_back("bandit could not scan " + str(e, "filename") + ": " + str(e, "reason"));
  }
  for (std::size_t i = 0; i < results.size(); ++i) {
    const json& r = results[i];
    const std::string where = "bandit-json: results[" + std::to_string(i) + "]";
    require_object(r, where);
    findings::Finding f;
    f.rule_id = str(r, "test_id");
    if (f.rule_id.empty()) throw ReportError(where + " has no test_id");
    f.rule_name = str(r, "test_name");
    f.description = str(r, "issue_text");
    f.path = str(r, "filename");
    f.line = integer(r, "line_number");
    // bandit's col_offset is Python's 0-based AST offset.
    if (const json* col = member(r, "col_offset"); col && col->is_number_integer()) f.column = col->get<int>() + 1;
    if (const json* end = member(r, "end_col_offset"); end && end->is_number_integer() && end->get<int>() > 0)
      f.end_column = end->get<int>();
    f.end_line = f.line;
    if (const json* range = array(r, "line_range", where); range && !range->empty() && range->back().is_number_integer())
      f.end_line = std::max(f.line, range->back().get<int>());
    if (f.end_line != f.line) f.end_column = 0;  // end_col_offset is on the last line; keep it only when unambiguous
    std::string severity = str(r, "issue_severity");
    auto level = lower(severity);
    f.severity = level == "high" ? Severity::high : level == "medium" ? Severity::medium
               : level == "low" ? Severity::low : Severity::unknown;
    auto confidence = lower(str(r, "issue_confidence"));
    f.confidence = confidence == "low" ? findings::Confidence::low
                 : confidence == "medium" ? findings::Confidence::medium : findings::Confidence::high;
    if (const json* cwe = member(r, "issue_cwe")) {
      if (const json* id = member(*cwe, "id"); id && id->is_number_integer() && id->get<int>() > 0)
        f.cwes.push_back("CWE-" + std::to_string(id->get<int>()));
    }
    findings::ToolDetail detail;
    detail.tool_name = "Bandit";
    detail.format = "bandit-json";
    detail.original_severity = severity;
    detail.help_uri = str(r, "more_info");
    if (!detail.help_uri.empty()) f.references.push_back(detail.help_uri);
    f.tool = std::move(detail);
    out.findings.push_back(std::move(f));
  }
  return out;
}

ParsedReport parse_shellcheck_json1(std::string_view text) {
  json doc = parse("shellcheck-json1", text);
  require_object(doc, "shellcheck-json1: the document");
  const json& comments = required_array(doc, "comments", "shellcheck-json1: the document");
  ParsedReport out;
  for (std::size_t i = 0; i < comments.size(); ++i) {
    const json& c = comments[i];
    const std::string where = "shellcheck-json1: comments[" + std::to_string(i) + "]";
    require_object(c, where);
    const json* code = member(c, "code");
    if (!code || !code->is_number_integer()) throw ReportError(where + " has no numeric 'code'");
    findings::Finding f;
    f.rule_id = "SC" + std::to_string(code->get<int>());
    f.rule_name = f.rule_id;
    f.description = str(c, "message");
    f.path = str(c, "file");
    f.line = integer(c, "line");
    f.column = integer(c, "column");
    f.end_line = integer(c, "endLine");
    // shellcheck's endColumn is the column after the range; ours is inclusive.
    int end_col = integer(c, "endColumn");
    f.end_column = end_col > 1 ? end_col - 1 : 0;
    std::string level = str(c, "level");
    // shellcheck is a linter, not a security scanner: its "error" is a likely bug (medium), a
    // "warning" a possible one (low), "info" and "style" are advice.
    auto l = lower(level);
    f.severity = l == "error" ? Severity::medium : l == "warning" ? Severity::low
               : (l == "info" || l == "style") ? Severity::info : Severity::unknown;
    findings::ToolDetail detail;
    detail.tool_name = "ShellCheck";
    detail.format = "shellcheck-json1";
    detail.original_severity = level;
    detail.help_uri = "https://www.shellcheck.net/wiki/" + f.rule_id;
    f.references.push_back(detail.help_uri);
    f.tool = std::move(detail);
    out.findings.push_back(std::move(f));
  }
  return out;
}

ParsedReport parse_gitlab_sast(std::string_view text) {
  json doc = parse("gitlab-sast", text);
  require_object(doc, "gitlab-sast: the document");
  const json& vulns = required_array(doc, "vulnerabilities", "gitlab-sast: the document");
  std::string tool_name, tool_version;
  if (const json* scan = member(doc, "scan")) {
    if (const json* scanner = member(*scan, "scanner")) {
      tool_name = str(*scanner, "name");
      tool_version = str(*scanner, "version");
    }
  }
  ParsedReport out;
  for (std::size_t i = 0; i < vulns.size(); ++i) {
    const json& v = vulns[i];
    const std::string where = "gitlab-sast: vulnerabilities[" + std::to_string(i) + "]";
    require_object(v, where);
    const json& identifiers = required_array(v, "identifiers", where);
    if (identifiers.empty()) throw ReportError(where + ".identifiers is empty");
    findings::Finding f;
    findings::ToolDetail detail;
    detail.tool_name = tool_name;
    detail.tool_version = tool_version;
    if (const json* scanner = member(v, "scanner"); scanner && detail.tool_name.empty())
      detail.tool_name = str(*scanner, "name");
    detail.format = "gitlab-sast";
    const json* primary = nullptr;
    for (const auto& id : identifiers) {
      std::string type = lower(str(id, "type"));
      std::string value = str(id, "value");
      if (type == "cwe") {
        if (auto cwe = cwe_from_tag(value); !cwe.empty()) f.cwes.push_back(cwe);
      } else if (type == "owasp") {
        if (!value.empty()) detail.owasp.push_back(value);
      } else if (!primary) {
        primary = &id;
      }
      if (std::string url = str(id, "url"); !url.empty()) f.references.push_back(url);
    }
    if (!primary) primary = &identifiers[0];
    f.rule_id = str(*primary, "value");
    if (f.rule_id.empty()) throw ReportError(where + ".identifiers[0] has no value");
    detail.help_uri = str(*primary, "url");
    f.rule_name = str(v, "name");
    if (f.rule_name.empty()) f.rule_name = str(*primary, "name");
    f.description = str(v, "description");
    if (f.description.empty()) f.description = str(v, "message");
    detail.original_severity = str(v, "severity");
    f.severity = findings::parse_severity(detail.original_severity).value_or(Severity::unknown);
    if (auto conf = findings::parse_confidence(str(v, "confidence"))) f.confidence = *conf;
    const json* location = member(v, "location");
    if (!location || !location->is_object()) throw ReportError(where + " has no location object");
    f.path = str(*location, "file");
    f.line = integer(*location, "start_line");
    f.end_line = integer(*location, "end_line");
    if (f.end_line == 0) f.end_line = f.line;
    if (const json* links = array(v, "links", where))
      for (const auto& link : *links)
        if (std::string url = str(link, "url"); !url.empty()) f.references.push_back(url);
    std::sort(f.references.begin(), f.references.end());
    f.references.erase(std::unique(f.references.begin(), f.references.end()), f.references.end());
    f.tool = std::move(detail);
    out.findings.push_back(std::move(f));
  }
  return out;
}

}  // namespace agent::controls::external
