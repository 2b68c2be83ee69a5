// Our own JSON format, schema_version "1" (minor revisions: 1 finding.tool and control_status, 2
// ignored, 3 finding.provenance and stats.commits_scanned/blobs_cached, 4 dependency severity
// source and fix, 5 finding.token_check and finding.variable): documented in
// docs/report-json.md and described by schemas/jit-report.schema.json. Keys are written in a
// fixed order so output is diffable.
#include "agent/findings/token_text.h"
#include "agent/report/common.h"
#include "agent/report/time_format.h"
#include "agent/util/redact.h"

#include <algorithm>

namespace agent::report {
namespace {

using Json = nlohmann::ordered_json;

/// A string field that is unknown when empty.
Json string_or_null(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }

/// A 1-based position that is unknown when 0.
Json position_or_null(int v) { return v > 0 ? Json(v) : Json(nullptr); }

Json secret_json(const findings::SecretDetail& s, const Options& options) {
  Json j;
  j["redacted"] = s.redacted;
  j["secret_sha256"] = s.secret_sha256;
  j["entropy"] = s.entropy;
  if (!s.encoding.empty()) j["encoding"] = s.encoding;
  if (options.show_secrets) j["raw"] = s.raw;
  return j;
}

Json dependency_json(const findings::DependencyDetail& d) {
  Json j;
  j["package"] = d.package;
  j["version"] = d.version;
  j["ecosystem"] = d.ecosystem;
  j["advisory_id"] = d.advisory_id;
  j["aliases"] = d.aliases;
  j["summary"] = d.summary;
  j["cvss_score"] = d.cvss_score ? Json(*d.cvss_score) : Json(nullptr);
  j["cvss_vector"] = string_or_null(d.cvss_vector);
  j["fixed_version"] = string_or_null(d.fixed_version);
  j["severity_source"] = d.severity_source.empty() ? "none" : d.severity_source;
  j["severity_record"] = string_or_null(d.severity_record);
  // The package's one upgrade (every advisory of this package, version and lockfile).
  Json fix;
  fix["version"] = string_or_null(d.fix_version);
  fix["resolves"] = d.fix_version.empty() ? std::vector<std::string>{} : d.fix_resolves;
  j["fix"] = fix;
  j["direct"] = d.direct_known ? Json(d.direct) : Json(nullptr);
  j["lockfile"] = d.lockfile;
  j["folder"] = folder_of(d);
  return j;
}

Json tool_json(const findings::Finding& f) {
  const auto& t = *f.tool;
  Json j;
  j["name"] = t.tool_name.empty() ? f.control : t.tool_name;
  j["version"] = string_or_null(t.tool_version);
  j["format"] = t.format;
  j["original_severity"] = string_or_null(t.original_severity);
  j["help_uri"] = string_or_null(t.help_uri);
  j["owasp"] = t.owasp;
  j["snippet"] = string_or_null(safe_snippet(f));
  // The tool's own rule description (a SARIF reportingDescriptor), as an object; null when the
  // tool gave none or it is not JSON.
  Json rule = t.rule_json.empty() ? Json(nullptr) : Json::parse(t.rule_json, nullptr, false);
  j["rule"] = rule.is_object() ? rule : Json(nullptr);
  return j;
}

/// What the GitLab instance said about the token (never the token itself).
Json token_check_json(const findings::TokenCheck& c) {
  Json j;
  j["status"] = c.status;
  j["label"] = findings::token_status_label(c);
  j["reason"] = string_or_null(sanitize_terminal(c.reason));
  j["instance"] = string_or_null(util::redact_urls(c.instance));
  j["endpoint"] = string_or_null(c.endpoint);
  j["scopes"] = c.scopes;
  j["owner"] = string_or_null(sanitize_terminal(c.owner));
  j["name"] = string_or_null(sanitize_terminal(c.name));
  j["expires_at"] = string_or_null(c.expires_at);
  j["revoked_by_agent"] = c.revoked_by_agent;
  j["original_severity"] = string_or_null(c.original_severity);
  return j;
}

/// The CI/CD variable whose value was found: its name and settings, never the value.
Json variable_json(const findings::VariableDetail& v) {
  Json j;
  j["key"] = v.key;
  j["level"] = v.level;
  j["owner"] = v.owner;
  j["environment_scope"] = v.environment_scope;
  j["variable_type"] = v.variable_type;
  j["masked"] = v.masked;
  j["protected"] = v.is_protected;
  j["hidden"] = v.hidden;
  j["form"] = string_or_null(v.form);
  return j;
}

/// Who committed the blob a history scan found the finding in. Author and summary are commit
/// text anyone could have written: one line, control characters removed, as for tool snippets.
Json provenance_json(const findings::CommitDetail& p) {
  Json j;
  j["author_name"] = string_or_null(commit_text(p.author_name));
  j["author_email"] = string_or_null(commit_text(p.author_email));
  j["date"] = string_or_null(p.date);
  j["summary"] = string_or_null(commit_text(p.summary));
  j["blob"] = string_or_null(p.blob);
  return j;
}

/// Every control with what became of it: "ran", "errored" (with the reason) or "skipped", per
/// monorepo folder when the issue concerned one folder only.
Json control_status_json(const findings::ScanResult& result) {
  Json list = Json::array();
  auto issue_json = [](const findings::ControlIssue& issue, std::string_view status) {
    Json j;
    j["name"] = issue.control;
    j["status"] = status;
    j["reason"] = sanitize_terminal(util::global_redactor().apply(issue.reason));
    j["folder"] = string_or_null(issue.folder);
    return j;
  };
  for (const auto& c : result.controls) {
    bool whole_scan_errored = std::any_of(result.errored_controls.begin(), result.errored_controls.end(),
                                          [&](const auto& i) { return i.control == c && i.folder.empty(); });
    if (!whole_scan_errored)
      list.push_back({{"name", c}, {"status", "ran"}, {"reason", nullptr}, {"folder", nullptr}});
  }
  for (const auto& issue : result.errored_controls) list.push_back(issue_json(issue, "errored"));
  for (const auto& issue : result.skipped_controls) list.push_back(issue_json(issue, "skipped"));
  return list;
}

Json finding_json(const findings::Finding& f, const Options& options) {
  Json j;
  j["fingerprint"] = f.fingerprint;
  j["control"] = f.control;
  j["rule_id"] = f.rule_id;
  j["rule_name"] = f.rule_name;
  j["description"] = f.description;
  j["severity"] = std::string(findings::to_string(f.severity));
  j["confidence"] = std::string(findings::to_string(f.confidence));
  j["path"] = f.path;
  j["line"] = position_or_null(f.line);
  j["column"] = position_or_null(f.column);
  j["end_line"] = position_or_null(f.end_line);
  j["end_column"] = position_or_null(f.end_column);
  j["commit"] = string_or_null(f.commit);
  j["references"] = f.references;
  j["cwes"] = f.cwes;
  j["secret"] = f.secret ? secret_json(*f.secret, options) : Json(nullptr);
  j["dependency"] = f.dependency ? dependency_json(*f.dependency) : Json(nullptr);
  j["tool"] = f.tool ? tool_json(f) : Json(nullptr);
  j["provenance"] = f.provenance ? provenance_json(*f.provenance) : Json(nullptr);
  j["token_check"] = f.token_check ? token_check_json(*f.token_check) : Json(nullptr);
  j["variable"] = f.variable ? variable_json(*f.variable) : Json(nullptr);
  return j;
}

}  // namespace

void write_json(std::ostream& out, const findings::ScanResult& result, const Options& options) {
  auto list = sorted_findings(result);
  Json doc;
  doc["schema_version"] = "1";
  doc["schema_minor"] = 5;
  doc["tool"] = {{"name", "jit-agent"}, {"version", options.tool_version}};
  doc["root"] = result.root;
  doc["commit"] = string_or_null(result.commit_sha);
  doc["start_time"] = rfc3339_utc(result.start_time);
  doc["end_time"] = rfc3339_utc(result.end_time);
  doc["duration_ms"] = duration_ms(result.start_time, result.end_time);
  const auto& st = result.stats;
  doc["stats"] = {{"files_scanned", st.files_scanned},       {"bytes_scanned", st.bytes_scanned},
                  {"skipped_binary", st.skipped_binary},     {"skipped_too_large", st.skipped_too_large},
                  {"skipped_excluded", st.skipped_excluded}, {"skipped_symlinks", st.skipped_symlinks},
                  {"unreadable", st.unreadable},             {"suppressed", st.suppressed},
                  {"commits_scanned", st.commits_scanned},   {"blobs_cached", st.blobs_cached}};
  auto counts = count_by_severity(list);
  Json by_severity;
  for (int s = static_cast<int>(findings::Severity::critical); s >= 0; --s)
    by_severity[std::string(findings::to_string(static_cast<findings::Severity>(s)))] =
        counts[static_cast<std::size_t>(s)];
  std::array<std::size_t, 3> by_conf{};
  for (const auto* f : list) ++by_conf[static_cast<std::size_t>(f->confidence)];
  Json by_confidence;
  for (int c = static_cast<int>(findings::Confidence::high); c >= 0; --c)
    by_confidence[std::string(findings::to_string(static_cast<findings::Confidence>(c)))] =
        by_conf[static_cast<std::size_t>(c)];
  doc["summary"] = {{"total", list.size()}, {"by_severity", by_severity}, {"by_confidence", by_confidence}};
  doc["warnings"] = result.warnings;
  doc["controls"] = result.controls;
  doc["control_status"] = control_status_json(result);
  Json items = Json::array();
  for (const auto* f : list) items.push_back(finding_json(*f, options));
  doc["findings"] = std::move(items);
  // Findings an ignores.yml entry or a baseline dismissed: not counted above, kept for the record.
  Json ignored = Json::array();
  for (const auto& f : result.ignored) {
    Json j = finding_json(f, options);
    if (f.suppression) {
      const auto& s = *f.suppression;
      j["suppression"] = {{"reason", s.reason},
                          {"comment", sanitize_terminal(s.comment)},
                          {"author", string_or_null(s.author)},
                          {"source", s.source},
                          {"expires", string_or_null(s.expires)}};
    }
    ignored.push_back(std::move(j));
  }
  doc["ignored"] = std::move(ignored);
  write_json_document(out, doc);
}

}  // namespace agent::report
