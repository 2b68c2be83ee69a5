// GitLab SAST report, schema 15.2.1 (artifacts:reports:sast, gl-sast-report.json): the findings
// of external controls (bandit, flawfinder, shellcheck, eslint, any SARIF tool).
//
// One scanner for every tool: scan.scanner is "jit-agent-sast" whatever tools ran. GitLab keys a
// vulnerability's identity on the scanner's id, so a per-tool scanner would make every finding
// "new" (and the old ones "no longer detected") the day a second tool is enabled. The tool is in
// each vulnerability instead: the primary identifier's type is the control's name ("bandit",
// value "B602"), and details.tool names the tool and its version.
//
// A control that errored is a partial error in the schema's words: a "warn" message each, status
// "success" while at least one external control produced results; when every external control
// that was attempted errored, nothing was scanned: status "failure" and "fatal" messages.
#include <algorithm>
#include <array>
#include <optional>
#include <set>

#include "agent/report/common.h"
#include "agent/report/time_format.h"
#include "agent/util/hash.h"

namespace agent::report {
namespace {

using Json = nlohmann::ordered_json;
using findings::Finding;

struct Owasp {
  std::string_view id;
  std::string_view title;
  std::string_view url;  ///< "" when OWASP has no stable page for it
};

// The Top 10 editions tools cite (GitLab's analyzers name them "A03:2021 - Injection").
constexpr std::array kOwasp = {
    Owasp{"A01:2021", "Broken Access Control", "https://owasp.org/Top10/A01_2021-Broken_Access_Control/"},
    Owasp{"A02:2021", "Cryptographic Failures", "https://owasp.org/Top10/A02_2021-Cryptographic_Failures/"},
    Owasp{"A03:2021", "Injection", "https://owasp.org/Top10/A03_2021-Injection/"},
    Owasp{"A04:2021", "Insecure Design", "https://owasp.org/Top10/A04_2021-Insecure_Design/"},
    Owasp{"A05:2021", "Security Misconfiguration", "https://owasp.org/Top10/A05_2021-Security_Misconfiguration/"},
    Owasp{"A06:2021", "Vulnerable and Outdated Components",
          "https://owasp.org/Top10/A06_2021-Vulnerable_and_Outdated_Components/"},
    Owasp{"A07:2021", "Identification and Authentication Failures",
          "https://owasp.org/Top10/A07_2021-Identification_and_Authentication_Failures/"},
    Owasp{"A08:2021", "Software and Data Integrity Failures",
          "https://owasp.org/Top10/A08_2021-Software_and_Data_Integrity_Failures/"},
    Owasp{"A09:2021", "Security Logging and Monitoring Failures",
          "https://owasp.org/Top10/A09_2021-Security_Logging_and_Monitoring_Failures/"},
    Owasp{"A10:2021", "Server-Side Request Forgery (SSRF)",
          "https://owasp.org/Top10/A10_2021-Server-Side_Request_Forgery_%28SSRF%29/"},
    Owasp{"A1:2017", "Injection", ""},
    Owasp{"A2:2017", "Broken Authentication", ""},
    Owasp{"A3:2017", "Sensitive Data Exposure", ""},
    Owasp{"A4:2017", "XML External Entities (XXE)", ""},
    Owasp{"A5:2017", "Broken Access Control", ""},
    Owasp{"A6:2017", "Security Misconfiguration", ""},
    Owasp{"A7:2017", "Cross-Site Scripting (XSS)", ""},
    Owasp{"A8:2017", "Insecure Deserialization", ""},
    Owasp{"A9:2017", "Using Components with Known Vulnerabilities", ""},
    Owasp{"A10:2017", "Insufficient Logging & Monitoring", ""},
};

bool is_web(std::string_view url) { return url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0; }

/// "A03:2021 - Injection" or "A03:2021" -> an identifier; nullopt for text without an id.
std::optional<Json> owasp_identifier(std::string_view text) {
  std::string id = sanitize_terminal(text.substr(0, text.find(" - ")));
  while (!id.empty() && id.back() == ' ') id.pop_back();
  if (id.empty()) return std::nullopt;
  Json j;
  j["type"] = "owasp";
  j["name"] = id;
  j["value"] = id;
  for (const auto& o : kOwasp) {
    if (o.id != id) continue;
    j["name"] = id + " - " + std::string(o.title);
    if (!o.url.empty()) j["url"] = o.url;
  }
  return j;
}

Json identifiers_of(const Finding& f) {
  Json ids = Json::array();
  Json primary;
  // The control's name as the type: GitLab shows it next to the value, and two tools' rules
  // with the same id ("B101", "SC2086") can never be taken for one another.
  primary["type"] = f.control;
  primary["name"] = truncate_utf8(sanitize_terminal(f.tool->tool_name.empty() ? f.control : f.tool->tool_name) +
                                      ' ' + sanitize_terminal(f.rule_id),
                                  255);
  primary["value"] = f.rule_id;
  if (is_web(f.tool->help_uri)) primary["url"] = f.tool->help_uri;
  else if (auto uri = first_web_reference(f); !uri.empty()) primary["url"] = uri;
  ids.push_back(std::move(primary));
  std::set<std::string> seen;
  for (const auto& cwe : f.cwes) {
    auto n = cwe_number(cwe);
    if (n.empty() || !seen.insert("cwe:" + n).second) continue;
    ids.push_back({{"type", "cwe"},
                   {"name", "CWE-" + n},
                   {"value", n},
                   {"url", "https://cwe.mitre.org/data/definitions/" + n + ".html"}});
  }
  for (const auto& owasp : f.tool->owasp)
    if (auto j = owasp_identifier(owasp); j && seen.insert("owasp:" + (*j)["value"].get<std::string>()).second)
      ids.push_back(std::move(*j));
  return ids;
}

Json text_detail(std::string_view name, std::string value) {
  return {{"name", name}, {"type", "text"}, {"value", std::move(value)}};
}

Json vulnerability_of(const Finding& f) {
  Json v;
  v["id"] = util::uuid_from(f.fingerprint);
  std::string name = sanitize_terminal(f.rule_name.empty() ? f.rule_id : f.rule_name);
  v["name"] = truncate_utf8(name.empty() ? f.control : name, 255);
  std::string description = sanitize_terminal(f.description);
  v["description"] = truncate_utf8(description.empty() ? name : description, 1 << 15);
  v["severity"] = std::string(findings::to_gitlab(f.severity));
  v["identifiers"] = identifiers_of(f);
  Json links = Json::array();
  std::set<std::string> linked;
  if (is_web(f.tool->help_uri)) linked.insert(f.tool->help_uri), links.push_back({{"url", f.tool->help_uri}});
  for (const auto& ref : f.references)
    if (is_web(ref) && linked.insert(ref).second) links.push_back({{"url", ref}});
  if (!links.empty()) v["links"] = std::move(links);
  Json details;
  details["tool"] = text_detail("Tool", tool_label(f));
  if (!f.tool->original_severity.empty())
    details["tool_severity"] = text_detail("Severity given by the tool", sanitize_terminal(f.tool->original_severity));
  details["confidence"] = text_detail("Confidence", std::string(findings::to_string(f.confidence)));
  details["fingerprint"] = text_detail("jit-agent fingerprint", f.fingerprint);
  v["details"] = std::move(details);
  Json loc;
  loc["file"] = f.path;
  if (f.line > 0) {
    loc["start_line"] = f.line;
    loc["end_line"] = f.end_line >= f.line ? f.end_line : f.line;
  }
  v["location"] = std::move(loc);
  if (auto snippet = safe_snippet(f); !snippet.empty()) v["raw_source_code_extract"] = snippet;
  return v;
}

}  // namespace

void write_gitlab_sast(std::ostream& out, const findings::ScanResult& result, const Options& options) {
  Json vulnerabilities = Json::array();
  for (const auto* f : sorted_findings(result))
    if (is_external(*f)) vulnerabilities.push_back(vulnerability_of(*f));

  Json scan = gitlab_scan(result, options, "sast", "jit-agent-sast", "jit-agent SAST");
  std::set<std::string> attempted, errored;
  for (const auto& c : result.controls)
    if (!is_builtin_control(c)) attempted.insert(c);
  for (const auto& issue : result.errored_controls)
    if (!is_builtin_control(issue.control)) attempted.insert(issue.control), errored.insert(issue.control);
  // An errored control that produced findings in another folder still ran.
  std::set<std::string> produced;
  for (const auto& f : result.findings)
    if (is_external(f)) produced.insert(f.control);
  bool nothing_ran = !errored.empty() && std::all_of(attempted.begin(), attempted.end(), [&](const std::string& c) {
    return errored.count(c) && !produced.count(c);
  });
  Json messages = scan.contains("messages") ? scan["messages"] : Json::array();
  for (const auto& issue : result.errored_controls) {
    if (is_builtin_control(issue.control)) continue;
    messages.push_back({{"level", nothing_ran ? "fatal" : "warn"},
                        {"value", describe_issue(issue, "did not run") + "; its findings are missing from this report"}});
  }
  for (const auto& issue : result.skipped_controls)
    if (!is_builtin_control(issue.control))
      messages.push_back({{"level", "info"}, {"value", describe_issue(issue, "skipped")}});
  if (!messages.empty()) scan["messages"] = std::move(messages);
  if (nothing_ran) scan["status"] = "failure";

  Json doc;
  doc["version"] = "15.2.1";
  doc["scan"] = std::move(scan);
  doc["vulnerabilities"] = std::move(vulnerabilities);
  write_json_document(out, doc);
}

}  // namespace agent::report
