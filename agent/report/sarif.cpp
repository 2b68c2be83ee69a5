// SARIF 2.1.0 for code-scanning uploaders (GitHub, GitLab, IDEs). What uploaders reject and this
// writer therefore never emits: absolute or file:// URIs, columns or lines < 1, empty messages,
// a ruleIndex that does not point at the rule with the same id. Columns are the findings' byte
// columns: exact on ASCII lines (SARIF counts UTF-16 code units; the line text is not at hand).
#include <cstdio>
#include <map>

#include "agent/report/common.h"
#include "agent/report/time_format.h"

namespace agent::report {
namespace {

using Json = nlohmann::ordered_json;
using findings::Finding;
using findings::Severity;

std::string_view level_of(Severity s) {
  switch (s) {
    case Severity::critical:
    case Severity::high: return "error";
    case Severity::medium: return "warning";
    case Severity::low:
    case Severity::info: return "note";
    case Severity::unknown: break;
  }
  return "warning";  // unknown is not evidence of harmlessness
}

/// GitHub's security-severity scale: >= 9 critical, >= 7 high, >= 4 medium, > 0 low.
std::string security_severity(Severity s, std::optional<double> cvss) {
  double score = 0;
  if (cvss) {
    score = *cvss;
  } else {
    switch (s) {
      case Severity::critical: score = 9.5; break;
      case Severity::high: score = 8.0; break;
      case Severity::medium: score = 5.5; break;
      case Severity::low: score = 2.0; break;
      case Severity::info:
      case Severity::unknown: score = 0.0; break;
    }
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f", score);
  return buf;
}

/// What a rule is, taken from the most severe finding that uses it.
struct RuleInfo {
  const Finding* finding = nullptr;
  Severity severity = Severity::unknown;
  std::optional<double> cvss;
};

Json rule_json(const std::string& id, const RuleInfo& info) {
  const Finding& f = *info.finding;
  std::string name = f.rule_name.empty() ? id : f.rule_name;
  Json rule;
  rule["id"] = id;
  rule["name"] = name;
  rule["shortDescription"] = {{"text", name}};
  rule["fullDescription"] = {{"text", f.description.empty() ? name : f.description}};
  if (auto uri = first_web_reference(f); !uri.empty()) rule["helpUri"] = uri;
  rule["defaultConfiguration"] = {{"level", level_of(info.severity)}};
  Json tags = Json::array({"security"});
  if (f.dependency) {
    tags.push_back("dependency");
    tags.push_back("vulnerability");
  } else if (f.secret || f.control == "secrets") {
    tags.push_back("secret");
  }
  for (const auto& cwe : f.cwes)
    if (auto n = cwe_number(cwe); !n.empty()) tags.push_back("external/cwe/cwe-" + n);
  Json props;
  props["tags"] = std::move(tags);
  if (info.severity != Severity::unknown || info.cvss)
    props["security-severity"] = security_severity(info.severity, info.cvss);
  props["precision"] = f.dependency ? "very-high" : "high";
  rule["properties"] = std::move(props);
  return rule;
}

std::string message_of(const Finding& f) {
  if (f.dependency) {
    const auto& d = *f.dependency;
    std::string text = d.package + ' ' + d.version + " is affected by " + d.advisory_id;
    if (!d.aliases.empty()) {
      text += " (";
      for (std::size_t i = 0; i < d.aliases.size(); ++i) text += (i ? ", " : "") + d.aliases[i];
      text += ')';
    }
    if (!d.summary.empty()) text += ": " + d.summary;
    while (!text.empty() && (text.back() == '.' || text.back() == ' ')) text.pop_back();  // summaries end in '.'
    text += d.fixed_version.empty() ? ". No fixed version yet." : ". Fixed in " + d.fixed_version + '.';
    return sanitize_terminal(text);
  }
  std::string name = f.rule_name.empty() ? f.rule_id : f.rule_name;
  if (f.secret) return sanitize_terminal(name + " found: " + f.secret->redacted);
  std::string text = f.description.empty() ? name : name + ": " + f.description;
  return sanitize_terminal(text);
}

Json location_json(const Finding& f) {
  std::string_view path = f.path;
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);  // never an absolute URI
  Json physical;
  physical["artifactLocation"] = {{"uri", uri_encode_path(path)}, {"uriBaseId", "%SRCROOT%"}};
  if (f.line > 0) {
    Json region;
    region["startLine"] = f.line;
    if (f.column > 0) region["startColumn"] = f.column;
    int end_line = f.end_line >= f.line ? f.end_line : f.line;
    region["endLine"] = end_line;
    // Finding.end_column is inclusive; SARIF's endColumn is the column after the region.
    if (f.column > 0 && f.end_column > 0 && (end_line > f.line || f.end_column >= f.column))
      region["endColumn"] = f.end_column + 1;
    physical["region"] = std::move(region);
  }
  return Json::array({{{"physicalLocation", std::move(physical)}}});
}

}  // namespace

void write_sarif(std::ostream& out, const findings::ScanResult& result, const Options& options) {
  auto list = sorted_findings(result);
  std::map<std::string, RuleInfo> rules;  // sorted by id: ruleIndex is stable
  for (const auto* f : list) {
    auto& info = rules[f->rule_id];
    if (!info.finding || f->severity > info.severity) {
      info.finding = f;
      info.severity = f->severity;
    }
    if (f->dependency && f->dependency->cvss_score && (!info.cvss || *f->dependency->cvss_score > *info.cvss))
      info.cvss = f->dependency->cvss_score;
  }
  Json rules_json = Json::array();
  std::map<std::string, std::size_t> index;
  for (const auto& [id, info] : rules) {
    index[id] = rules_json.size();
    rules_json.push_back(rule_json(id, info));
  }

  Json results = Json::array();
  for (const auto* f : list) {
    Json r;
    r["ruleId"] = f->rule_id;
    r["ruleIndex"] = index[f->rule_id];
    r["level"] = level_of(f->severity);
    r["message"] = {{"text", message_of(*f)}};
    if (!f->path.empty()) r["locations"] = location_json(*f);
    r["partialFingerprints"] = {{"jitFingerprint/v1", f->fingerprint}};
    Json props;
    props["control"] = f->control;
    props["severity"] = std::string(findings::to_string(f->severity));
    props["confidence"] = std::string(findings::to_string(f->confidence));
    if (!f->commit.empty()) props["commit"] = f->commit;
    if (f->secret && !f->secret->encoding.empty()) props["encoding"] = f->secret->encoding;
    r["properties"] = std::move(props);
    results.push_back(std::move(r));
  }

  Json notifications = Json::array();
  for (const auto& w : result.warnings)
    notifications.push_back({{"level", "warning"}, {"message", {{"text", sanitize_terminal(w)}}}});
  Json invocation;
  invocation["executionSuccessful"] = true;
  invocation["startTimeUtc"] = rfc3339_utc(result.start_time);
  invocation["endTimeUtc"] = rfc3339_utc(result.end_time);
  if (!notifications.empty()) invocation["toolExecutionNotifications"] = std::move(notifications);

  Json driver;
  driver["name"] = "jit-agent";
  driver["version"] = options.tool_version;
  driver["semanticVersion"] = options.tool_version;
  driver["informationUri"] = "https://www.jit.io/";
  driver["rules"] = std::move(rules_json);

  Json run;
  run["tool"] = {{"driver", std::move(driver)}};
  run["invocations"] = Json::array({std::move(invocation)});
  run["results"] = std::move(results);

  Json doc;
  doc["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
  doc["version"] = "2.1.0";
  doc["runs"] = Json::array({std::move(run)});
  write_json_document(out, doc);
}

}  // namespace agent::report
