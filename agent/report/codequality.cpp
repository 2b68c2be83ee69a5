// GitLab Code Quality report (artifacts:reports:codequality): a Code Climate issue array that the
// merge-request widget shows on every tier. GitLab compares base and head by `fingerprint`, so
// it is our stable fingerprint, never something derived from the line.
#include "agent/report/common.h"

namespace agent::report {
namespace {

using Json = nlohmann::ordered_json;
using findings::Finding;
using findings::Severity;

std::string_view codequality_severity(Severity s) {
  switch (s) {
    case Severity::critical: return "blocker";
    case Severity::high: return "critical";
    case Severity::medium: return "major";
    case Severity::low: return "minor";
    case Severity::info:
    case Severity::unknown: break;
  }
  return "info";
}

std::string description_of(const Finding& f) {
  std::string text;
  if (f.dependency) {
    const auto& d = *f.dependency;
    text = d.package + ' ' + d.version + ": " + d.advisory_id;
    if (!d.summary.empty()) text += ' ' + d.summary;
    text += d.fixed_version.empty() ? " (no fix yet)" : " (fixed in " + d.fixed_version + ')';
  } else {
    text = f.rule_name.empty() ? f.rule_id : f.rule_name;
    if (f.tool && !f.description.empty() && f.description != text) text += ": " + f.description;
    // Redacted only: this file is an artifact anyone with read access can download.
    if (f.secret && !f.secret->redacted.empty()) text += ": " + f.secret->redacted;
    if (f.confidence != findings::Confidence::high)
      text += " (" + std::string(findings::to_string(f.confidence)) + " confidence)";
  }
  return truncate_utf8(sanitize_terminal(text), 1000);
}

}  // namespace

void write_codequality(std::ostream& out, const findings::ScanResult& result, const Options&) {
  Json issues = Json::array();
  for (const auto* f : sorted_findings(result)) {
    std::string path = f->path;
    if (f->dependency && !f->dependency->lockfile.empty()) path = f->dependency->lockfile;
    Json issue;
    issue["type"] = "issue";
    issue["description"] = description_of(*f);
    // "bandit:B602": two tools may use the same rule id, and the widget shows the check's name.
    issue["check_name"] = f->tool ? f->control + ':' + f->rule_id : f->rule_id;
    issue["categories"] = Json::array({"Security"});
    issue["fingerprint"] = f->fingerprint;
    issue["severity"] = codequality_severity(f->severity);
    // lines.begin must be >= 1 for the widget to link the line; 1 when the line is unknown.
    issue["location"] = {{"path", path}, {"lines", {{"begin", f->line > 0 ? f->line : 1}}}};
    issues.push_back(std::move(issue));
  }
  write_json_document(out, issues);
}

}  // namespace agent::report
