// GitLab secret-detection report, schema 15.2.1 (artifacts:reports:secret_detection).
// GitLab renders description and solution as Markdown and keeps the report as a job artifact,
// so nothing here carries the secret: no raw_source_code_extract, the redacted prefix only,
// inside a code span so scanned text cannot become links or HTML.
#include "agent/findings/token_text.h"
#include "agent/report/common.h"
#include "agent/report/time_format.h"
#include "agent/util/hash.h"

namespace agent::report {
namespace {

using Json = nlohmann::ordered_json;
using findings::Finding;

constexpr std::string_view kSolution =
    "Revoke or rotate this secret with its issuer first: once pushed, it must be treated as "
    "leaked. Then remove it from the code (and from the git history if it was pushed) and load it "
    "at run time from a secret manager or a masked CI/CD variable.";

std::string description_of(const Finding& f) {
  std::string text = f.description.empty() ? (f.rule_name.empty() ? f.rule_id : f.rule_name) : f.description;
  text = sanitize_terminal(text);
  if (f.variable)
    text += "\n\nThe value of the " + markdown_code(findings::variable_sentence(*f.variable)) +
            " is in this file: rotate it.";
  if (f.secret && !f.secret->redacted.empty())
    text += "\n\nMatch (redacted): " + markdown_code(f.secret->redacted);
  if (f.token_check) {
    text += "\n\n" + sanitize_terminal(findings::token_check_sentence(*f.token_check));
    if (!f.token_check->original_severity.empty())
      text += " Severity set from " + f.token_check->original_severity + " by this check.";
  }
  if (f.secret && !f.secret->encoding.empty())
    text += "\n\nFound inside " + f.secret->encoding + "-encoded text at this position.";
  return truncate_utf8(text, 1 << 20);
}

Json identifiers_of(const Finding& f) {
  Json ids = Json::array();
  Json primary;
  primary["type"] = "jit_agent_rule_id";
  primary["name"] = "jit-agent rule ID " + f.rule_id;
  primary["value"] = f.rule_id;
  if (auto uri = first_web_reference(f); !uri.empty()) primary["url"] = uri;
  ids.push_back(std::move(primary));
  for (const auto& cwe : f.cwes) {
    auto n = cwe_number(cwe);
    if (n.empty()) continue;
    ids.push_back({{"type", "cwe"},
                   {"name", "CWE-" + n},
                   {"value", n},
                   {"url", "https://cwe.mitre.org/data/definitions/" + n + ".html"}});
  }
  return ids;
}

Json location_of(const Finding& f, const findings::ScanResult& result) {
  // The finding's own commit is the precise one (history scans); then the checkout's HEAD; the
  // schema requires some sha, and GitLab's own analyzer writes "0000000" outside a git checkout.
  std::string sha = !f.commit.empty() ? f.commit : !result.commit_sha.empty() ? result.commit_sha : "0000000";
  Json loc;
  loc["file"] = f.path;
  if (f.line > 0) {
    loc["start_line"] = f.line;
    loc["end_line"] = f.end_line >= f.line ? f.end_line : f.line;
  }
  Json commit = {{"sha", sha}};
  // A history scan knows who introduced the secret: the schema's commit object has author, date
  // and message (plain strings, no limits). Only with the finding's own sha: they describe it,
  // not the checkout's HEAD. Author and message are commit text anyone could have written.
  if (f.provenance && !f.commit.empty()) {
    const auto& p = *f.provenance;
    if (auto author = commit_author(p); !author.empty()) commit["author"] = author;
    if (!p.date.empty()) commit["date"] = p.date;
    if (auto message = commit_text(p.summary); !message.empty()) commit["message"] = message;
  }
  loc["commit"] = std::move(commit);
  return loc;
}

Json vulnerability_of(const Finding& f, const findings::ScanResult& result) {
  Json v;
  v["id"] = util::uuid_from(f.fingerprint);
  v["name"] = truncate_utf8(f.rule_name.empty() ? f.rule_id : f.rule_name, 255);
  v["description"] = description_of(f);
  // GitLab's analyzers fill the legacy `cve` field with "file:secret-hash:rule"; ours uses the
  // fingerprint, which is already path-, rule- and secret-derived and survives line moves.
  v["cve"] = f.path + ':' + f.fingerprint + ':' + f.rule_id;
  v["severity"] = std::string(findings::to_gitlab(f.severity));
  v["solution"] = kSolution;
  v["identifiers"] = identifiers_of(f);
  Json links = Json::array();
  for (const auto& ref : f.references)
    if (ref.rfind("https://", 0) == 0 || ref.rfind("http://", 0) == 0) links.push_back({{"url", ref}});
  if (!links.empty()) v["links"] = std::move(links);
  v["location"] = location_of(f, result);
  // The schema has no confidence field; `details` (a named list) is where extra facts go.
  v["details"] = {{"confidence",
                   {{"name", "Confidence"}, {"type", "text"}, {"value", std::string(findings::to_string(f.confidence))}}}};
  return v;
}

}  // namespace

void write_gitlab_secrets(std::ostream& out, const findings::ScanResult& result, const Options& options) {
  Json vulnerabilities = Json::array();
  for (const auto* f : sorted_findings(result))
    if (f->control == "secrets") vulnerabilities.push_back(vulnerability_of(*f, result));
  write_gitlab_report(out, result, options, "secret_detection", "jit-agent", "jit-agent secrets",
                      std::move(vulnerabilities));
}

}  // namespace agent::report
