// SARIF 2.1.0 for code-scanning uploaders (GitHub, GitLab, IDEs). What uploaders reject and this
// writer therefore never emits: absolute or file:// URIs, columns or lines < 1, empty messages,
// a ruleIndex that does not point at the rule with the same id. Columns are the findings' byte
// columns: exact on ASCII lines (SARIF counts UTF-16 code units; the line text is not at hand).
#include <cctype>
#include <cstdio>
#include <map>
#include <utility>

#include "agent/findings/token_text.h"
#include "agent/report/common.h"
#include "agent/report/time_format.h"
#include "agent/util/redact.h"

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

bool is_web_uri(std::string_view uri) { return uri.rfind("https://", 0) == 0 || uri.rfind("http://", 0) == 0; }

/// What a rule is, taken from the most severe finding that uses it.
struct RuleInfo {
  const Finding* finding = nullptr;
  Severity severity = Severity::unknown;
  std::optional<double> cvss;
};

Json rule_json(const std::string& id, const RuleInfo& info) {
  const Finding& f = *info.finding;
  std::string name = sanitize_terminal(f.rule_name.empty() ? id : f.rule_name);
  Json rule;
  rule["id"] = id;
  rule["name"] = name;
  rule["shortDescription"] = {{"text", name}};
  rule["fullDescription"] = {{"text", f.description.empty() ? name : sanitize_terminal(f.description)}};
  if (auto uri = first_web_reference(f); !uri.empty()) rule["helpUri"] = uri;
  rule["defaultConfiguration"] = {{"level", level_of(info.severity)}};
  Json tags = Json::array({"security"});
  if (f.dependency) {
    tags.push_back("dependency");
    tags.push_back("vulnerability");
  } else if (f.secret || f.control == "secrets") {
    tags.push_back("secret");
  } else if (f.tool) {
    tags.push_back("sast");
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
  if (f.variable) return sanitize_terminal(name + ": the value of the " + findings::variable_sentence(*f.variable));
  if (f.secret) {
    std::string text = name + " found: " + f.secret->redacted;
    if (f.token_check) text += "; " + findings::token_check_sentence(*f.token_check);
    return sanitize_terminal(text);
  }
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

/// The rules `list` uses, sorted by id (ruleIndex is stable), each from its most severe finding.
std::map<std::string, RuleInfo> rules_of(const std::vector<const Finding*>& list) {
  std::map<std::string, RuleInfo> rules;
  for (const auto* f : list) {
    auto& info = rules[f->rule_id];
    // The rule is described by its most severe finding; one that carries the tool's own rule
    // description wins over any that does not.
    auto rank = [](const Finding* x) { return std::pair(x->tool && !x->tool->rule_json.empty(), x->severity); };
    if (!info.finding || rank(f) > rank(info.finding)) info.finding = f;
    if (f->severity > info.severity) info.severity = f->severity;
    if (f->dependency && f->dependency->cvss_score && (!info.cvss || *f->dependency->cvss_score > *info.cvss))
      info.cvss = f->dependency->cvss_score;
  }
  return rules;
}

/// An external tool's rule: its own reportingDescriptor (ToolDetail::rule_json) with every field
/// kept except `relationships` (they point into taxonomies this report does not carry); what
/// uploaders need and the tool may not give (security-severity, helpUri) is added, never replaced.
Json tool_rule_json(const std::string& id, const RuleInfo& info) {
  const Finding& f = *info.finding;
  Json rule = rule_json(id, info);
  if (f.tool && is_web_uri(f.tool->help_uri) && !rule.contains("helpUri")) rule["helpUri"] = f.tool->help_uri;
  if (!f.tool || f.tool->rule_json.empty()) return rule;
  Json original = Json::parse(f.tool->rule_json, nullptr, false);
  if (!original.is_object()) return rule;
  original.erase("relationships");
  original["id"] = id;  // results point at it by ruleId
  if (!original.contains("helpUri") && rule.contains("helpUri")) original["helpUri"] = rule["helpUri"];
  if (!original.contains("properties") || !original["properties"].is_object()) original["properties"] = Json::object();
  for (const auto& [key, value] : rule["properties"].items())
    if (!original["properties"].contains(key)) original["properties"][key] = value;
  return original;
}

Json result_json(const Finding& f, std::size_t rule_index) {
  Json r;
  r["ruleId"] = f.rule_id;
  r["ruleIndex"] = rule_index;
  r["level"] = level_of(f.severity);
  r["message"] = {{"text", message_of(f)}};
  if (!f.path.empty()) r["locations"] = location_json(f);
  r["partialFingerprints"] = {{"jitFingerprint/v1", f.fingerprint}};
  Json props;
  props["control"] = f.control;
  props["severity"] = std::string(findings::to_string(f.severity));
  props["confidence"] = std::string(findings::to_string(f.confidence));
  if (f.tool && !f.tool->original_severity.empty()) props["toolSeverity"] = sanitize_terminal(f.tool->original_severity);
  if (!f.commit.empty()) props["commit"] = f.commit;
  if (f.provenance) {
    // History scans: who introduced the blob, and which blob. Commit text is untrusted.
    const auto& p = *f.provenance;
    if (auto name = commit_text(p.author_name); !name.empty()) props["commitAuthor"] = name;
    if (auto email = commit_text(p.author_email); !email.empty()) props["commitAuthorEmail"] = email;
    if (!p.date.empty()) props["commitDate"] = p.date;
    if (auto summary = commit_text(p.summary); !summary.empty()) props["commitSummary"] = summary;
    if (!p.blob.empty()) props["blob"] = p.blob;
  }
  if (f.secret && !f.secret->encoding.empty()) props["encoding"] = f.secret->encoding;
  if (const auto& c = f.token_check) {
    // What GitLab said about the token (never the token).
    Json check = {{"status", c->status}, {"label", findings::token_status_label(*c)}};
    if (!c->reason.empty()) check["reason"] = sanitize_terminal(c->reason);
    if (!c->instance.empty()) check["instance"] = util::redact_urls(c->instance);
    if (!c->endpoint.empty()) check["endpoint"] = c->endpoint;
    if (!c->scopes.empty()) check["scopes"] = c->scopes;
    if (!c->owner.empty()) check["owner"] = sanitize_terminal(c->owner);
    if (!c->name.empty()) check["name"] = sanitize_terminal(c->name);
    if (!c->expires_at.empty()) check["expiresAt"] = c->expires_at;
    if (c->revoked_by_agent) check["revokedByAgent"] = true;
    if (!c->original_severity.empty()) check["originalSeverity"] = c->original_severity;
    props["tokenCheck"] = std::move(check);
  }
  if (const auto& v = f.variable)
    props["variable"] = {{"key", v->key},          {"level", v->level},
                         {"owner", v->owner},      {"environmentScope", v->environment_scope},
                         {"variableType", v->variable_type}, {"masked", v->masked},
                         {"protected", v->is_protected},     {"hidden", v->hidden},
                         {"form", v->form}};
  if (f.dependency) {
    const auto& d = *f.dependency;
    props["severitySource"] = d.severity_source.empty() ? "none" : d.severity_source;
    if (!d.severity_record.empty()) props["severityRecord"] = d.severity_record;
    // The package's one upgrade, the same on each of its advisories.
    props["fix"] = {{"version", d.fix_version.empty() ? Json(nullptr) : Json(d.fix_version)},
                    {"resolves", d.fix_version.empty() ? std::vector<std::string>{} : d.fix_resolves}};
  }
  r["properties"] = std::move(props);
  if (f.suppression) {
    // Dismissed in ignores.yml (or a baseline): kept, marked as an accepted external suppression.
    const auto& s = *f.suppression;
    std::string justification = s.reason == "accepted_risk" ? "accepted risk" : "false positive";
    if (!s.comment.empty()) justification += ": " + sanitize_terminal(s.comment);
    if (!s.author.empty()) justification += " (" + sanitize_terminal(s.author) + ")";
    Json sup = {{"kind", "external"}, {"status", "accepted"}, {"justification", justification}};
    if (!s.source.empty())
      sup["properties"] = {{"source", sanitize_terminal(s.source)}, {"reason", s.reason}};
    if (!s.expires.empty()) sup["properties"]["expires"] = s.expires;
    r["suppressions"] = Json::array({std::move(sup)});
  }
  return r;
}

/// True for an absolute URI ("https://host/x.git", "ssh://git@host/x"): RFC 3986 scheme then ':'.
bool is_absolute_uri(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos || colon < 2) return false;  // "c:/x" is a Windows path
  if (!std::isalpha(static_cast<unsigned char>(text[0]))) return false;
  for (char c : text.substr(0, colon))
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return false;
  return text.size() > colon + 1;
}

/// The run's versionControlProvenance: the scanned revision, its repository, and that %SRCROOT%
/// is where the repository's root was. SARIF requires an absolute repositoryUri; the scan root
/// is one only when the caller named the repository by its URL (a local path or a GitLab project
/// path is not one, and guessing a file:// URI would leak the runner's paths), so otherwise none.
Json version_control_provenance(const findings::ScanResult& result) {
  if (result.commit_sha.empty() || !is_absolute_uri(result.root)) return Json::array();
  Json details;
  details["repositoryUri"] = result.root;
  details["revisionId"] = result.commit_sha;
  details["mappedTo"] = {{"uriBaseId", "%SRCROOT%"}};
  return Json::array({std::move(details)});
}

Json notification(std::string_view level, const std::string& text) {
  return {{"level", level}, {"message", {{"text", text}}}};
}

/// One run: `driver` with the rules `list` uses, its results, and one invocation.
Json run_json(Json driver, const std::vector<const Finding*>& list, bool external, bool successful,
              Json notifications, const findings::ScanResult& result) {
  auto rules = rules_of(list);
  Json rules_json = Json::array();
  std::map<std::string, std::size_t> index;
  for (const auto& [id, info] : rules) {
    index[id] = rules_json.size();
    rules_json.push_back(external ? tool_rule_json(id, info) : rule_json(id, info));
  }
  Json results = Json::array();
  for (const auto* f : list) results.push_back(result_json(*f, index[f->rule_id]));

  Json invocation;
  invocation["executionSuccessful"] = successful;
  invocation["startTimeUtc"] = rfc3339_utc(result.start_time);
  invocation["endTimeUtc"] = rfc3339_utc(result.end_time);
  if (!notifications.empty()) invocation["toolExecutionNotifications"] = std::move(notifications);

  driver["rules"] = std::move(rules_json);
  Json run;
  run["tool"] = {{"driver", std::move(driver)}};
  run["invocations"] = Json::array({std::move(invocation)});
  run["results"] = std::move(results);
  if (auto vcp = version_control_provenance(result); !vcp.empty()) run["versionControlProvenance"] = std::move(vcp);
  return run;
}

}  // namespace

void write_sarif(std::ostream& out, const findings::ScanResult& result, const Options& options) {
  std::vector<const Finding*> builtin;
  std::map<std::string, std::vector<const Finding*>> by_tool;  // control -> its findings
  auto all = sorted_findings(result);
  for (const auto& f : result.ignored) all.push_back(&f);  // listed as suppressed results
  for (const auto* f : all) {
    if (is_external(*f)) by_tool[f->control].push_back(f);
    else builtin.push_back(f);
  }
  // Every external control that ran or errored gets a run (zero results says "it found nothing").
  for (const auto& c : result.controls)
    if (!is_builtin_control(c)) by_tool[c];
  for (const auto& issue : result.errored_controls)
    if (!is_builtin_control(issue.control)) by_tool[issue.control];

  Json notifications = Json::array();
  for (const auto& w : result.warnings) notifications.push_back(notification("warning", sanitize_terminal(w)));
  bool builtin_ok = true;
  for (const auto& issue : result.errored_controls)
    if (is_builtin_control(issue.control)) {
      builtin_ok = false;
      notifications.push_back(notification("error", describe_issue(issue, "did not run")));
    }
  for (const auto& issue : result.skipped_controls)
    if (!by_tool.count(issue.control)) notifications.push_back(notification("note", describe_issue(issue, "skipped")));

  Json driver;
  driver["name"] = "jit-agent";
  driver["version"] = options.tool_version;
  driver["semanticVersion"] = options.tool_version;
  driver["informationUri"] = "https://www.jit.io/";
  Json runs = Json::array({run_json(std::move(driver), builtin, false, builtin_ok, std::move(notifications), result)});

  for (const auto& [control, list] : by_tool) {
    Json tool_notes = Json::array();
    bool ok = true;
    for (const auto& issue : result.errored_controls)
      if (issue.control == control) {
        ok = false;
        tool_notes.push_back(notification("error", describe_issue(issue, "did not run")));
      }
    for (const auto& issue : result.skipped_controls)
      if (issue.control == control) tool_notes.push_back(notification("note", describe_issue(issue, "skipped")));
    // The tool as its own report named it; the control's name when it reported nothing.
    const findings::ToolDetail* tool = list.empty() ? nullptr : &*list.front()->tool;
    Json tool_driver;
    tool_driver["name"] = tool && !tool->tool_name.empty() ? tool->tool_name : control;
    if (tool && !tool->tool_version.empty()) tool_driver["version"] = tool->tool_version;
    Json run = run_json(std::move(tool_driver), list, true, ok, std::move(tool_notes), result);
    run["properties"] = {{"control", control}};
    runs.push_back(std::move(run));
  }

  Json doc;
  doc["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
  doc["version"] = "2.1.0";
  doc["runs"] = std::move(runs);
  write_json_document(out, doc);
}

}  // namespace agent::report
