#include "agent/publish/render.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "agent/findings/token_text.h"
#include "agent/publish/markdown.h"
#include "agent/publish/markers.h"
#include "agent/util/hash.h"
#include "agent/util/redact.h"

namespace agent::publish {
namespace {

using findings::Finding;
using findings::Severity;

constexpr std::array kSeverityOrder = {Severity::critical, Severity::high, Severity::medium,
                                       Severity::low,      Severity::info, Severity::unknown};

std::string short_sha(std::string_view sha) { return std::string(sha.substr(0, 8)); }

std::string plural(std::size_t n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

/// "`path`:12" (line omitted when unknown).
std::string location(const Finding& f) {
  std::string out = markdown::code(f.path);
  if (f.line > 0) out += " line " + std::to_string(f.line);
  return out;
}

std::string title(const Finding& f) {
  std::string name = f.rule_name.empty() ? f.rule_id : f.rule_name;
  return markdown::text(name, 120);
}

/// "The value of the protected group variable `KEY` (of `acme`, environments `*`)": never the value.
std::string variable_text(const findings::VariableDetail& v) {
  std::string flags;
  if (v.masked) flags += "masked ";
  if (v.is_protected) flags += "protected ";
  if (v.hidden) flags += "hidden ";
  std::string out = "The value of the " + flags + (v.level.empty() ? std::string() : markdown::text(v.level, 20) + " ") +
                    (v.variable_type == "file" ? "file " : "") + "variable " + markdown::code(v.key, 100);
  std::string facts;
  if (!v.owner.empty()) facts += "of " + markdown::code(v.owner, 200);
  if (!v.environment_scope.empty() && v.environment_scope != "*")
    facts += (facts.empty() ? "" : ", ") + std::string("environments ") + markdown::code(v.environment_scope, 100);
  if (v.form == "base64" || v.form == "percent") facts += (facts.empty() ? "" : ", ") + v.form + "-encoded";
  else if (v.form == "line") facts += (facts.empty() ? "" : ", ") + std::string("one line of it");
  if (!facts.empty()) out += " (" + facts + ")";
  return out;
}

/// What GitLab said about a found token, for its thread.
std::string token_text(const findings::TokenCheck& c) {
  std::string details = markdown::text(findings::token_details(c), 300);
  std::string paren = details.empty() ? "" : " (" + details + ")";
  std::string severity = c.original_severity.empty()
                             ? std::string()
                             : " Severity set from " + markdown::text(c.original_severity, 20) + " by this check.";
  if (c.revoked_by_agent)
    return "GitLab said this token was **active**" + paren +
           ": it **was revoked by jit-agent** (`JIT_REVOKE_LEAKED`). Check what it was used for before, and give "
           "its owner a new one.";
  if (c.status == "active")
    return "GitLab says this token is **active**" + paren + ": **revoke it now**." + severity;
  if (c.status == "inactive")
    return "GitLab says this token **is revoked or expired**" +
           (c.reason.empty() ? paren : " (" + markdown::text(c.reason, 200) + ")") + "." + severity;
  return "Not verified with GitLab" + (c.reason.empty() ? std::string() : ": " + markdown::text(c.reason, 300)) + ".";
}

/// One list line of the summary.
std::string list_line(const Finding& f) {
  std::string out = "- **" + std::string(findings::to_gitlab(f.severity)) + "** · ";
  if (f.dependency) {
    const auto& d = *f.dependency;
    out += markdown::code(d.package, 100) + " " + markdown::code(d.version, 60) + " · " +
           markdown::code(d.advisory_id, 60) + " in " + markdown::code(d.lockfile.empty() ? f.path : d.lockfile);
    if (!d.fixed_version.empty()) out += " · fixed in " + markdown::code(d.fixed_version, 60);
  } else {
    out += title(f) + " in " + location(f);
    if (f.variable) out += " · variable " + markdown::code(f.variable->key, 100);
    if (f.secret && !f.secret->redacted.empty()) out += " · " + markdown::code(f.secret->redacted, 40);
    if (f.token_check && f.token_check->status != "unknown")
      out += " · token " + findings::token_status_label(*f.token_check);
  }
  if (f.confidence != findings::Confidence::high)
    out += " · " + std::string(findings::to_string(f.confidence)) + " confidence";
  return out + "\n";
}

std::string list_section(std::string_view heading, std::string_view intro,
                         const std::vector<const Finding*>& list, std::size_t max_listed) {
  if (list.empty()) return {};
  std::string out = "\n#### " + std::string(heading) + " (" + std::to_string(list.size()) + ")\n\n";
  if (!intro.empty()) out += std::string(intro) + "\n\n";
  std::size_t shown = 0;
  for (const Finding* f : list) {
    if (shown == max_listed) break;
    out += list_line(*f);
    ++shown;
  }
  if (list.size() > shown)
    out += "- … and " + std::to_string(list.size() - shown) + " more (see the job's reports)\n";
  return out;
}

bool is_builtin(std::string_view control) { return control == "secrets" || control == "dependencies"; }

/// "78" for "CWE-78" (any case), else "".
std::string cwe_number(std::string_view cwe) {
  if (cwe.size() < 5 || (cwe.substr(0, 4) != "CWE-" && cwe.substr(0, 4) != "cwe-")) return "";
  std::string_view digits = cwe.substr(4);
  if (digits.size() > 7 || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return "";
  return std::string(digits);
}

/// "Bandit 1.7.5", made inert.
std::string tool_name(const Finding& f) {
  std::string name = f.tool && !f.tool->tool_name.empty() ? f.tool->tool_name : f.control;
  if (f.tool && !f.tool->tool_version.empty()) name += " " + f.tool->tool_version;
  return markdown::text(name, 80);
}

/// The facts line of an external finding's thread: tool, rule (linked to its documentation when
/// that is a plain http(s) URL), CWE links, OWASP ids, the tool's own severity.
std::string tool_facts(const Finding& f) {
  std::string out = "**" + tool_name(f) + "** · rule ";
  const std::string help = f.tool ? f.tool->help_uri : std::string();
  out += markdown::is_safe_url(help) ? "[" + markdown::code(f.rule_id, 100) + "](" + help + ")"
                                     : markdown::code(f.rule_id, 100);
  out += " · severity **" + std::string(findings::to_gitlab(f.severity)) + "**";
  if (f.tool && !f.tool->original_severity.empty())
    out += " (tool: " + markdown::code(f.tool->original_severity, 40) + ")";
  std::set<std::string> seen;
  for (const auto& cwe : f.cwes) {
    auto n = cwe_number(cwe);
    if (n.empty() || !seen.insert(n).second) continue;
    out += " · [CWE-" + n + "](https://cwe.mitre.org/data/definitions/" + n + ".html)";
  }
  if (f.tool)
    for (const auto& owasp : f.tool->owasp) out += " · OWASP " + markdown::code(owasp, 60);
  return out + "\n";
}

/// The flagged line as a fenced block; our tokens and URL credentials never reach the MR.
std::string snippet_block(const Finding& f) {
  if (!f.tool || f.tool->snippet.empty()) return "";
  std::string text = util::global_redactor().apply(util::redact_urls(f.tool->snippet));
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return "";
  return "\n" + markdown::code_block(text, 1000);
}

/// "bandit did not run in `services/api`: timed out after 5m0s; its findings are missing from this scan".
std::string issue_line(const findings::ControlIssue& issue, std::string_view what) {
  std::string out = "**" + markdown::text(issue.control, 60) + "** " + std::string(what);
  if (!issue.folder.empty() && issue.folder != "/") out += " in " + markdown::code(issue.folder, 120);
  if (!issue.reason.empty()) out += ": " + markdown::text(util::global_redactor().apply(issue.reason), 300);
  return out;
}

std::string severity_counts(const std::array<std::size_t, 6>& row) {
  std::string parts;
  for (Severity s : kSeverityOrder) {
    if (row[static_cast<std::size_t>(s)] == 0) continue;
    if (!parts.empty()) parts += ", ";
    parts += std::to_string(row[static_cast<std::size_t>(s)]) + " " + std::string(findings::to_string(s));
  }
  return parts;
}

}  // namespace

std::string fingerprint_of(const Finding& f) {
  if (!f.fingerprint.empty()) return f.fingerprint;
  return util::sha256_hex(f.control + '\n' + f.rule_id + '\n' + f.path + '\n' + std::to_string(f.line));
}

std::string thread_body(const Finding& f) {
  std::string out = thread_markers(fingerprint_of(f), f.control);
  // An advisory's name is its summary: shown once, below, not as the title.
  const std::string heading = f.dependency ? std::string("Vulnerable dependency") : title(f);
  out += "**" + std::string(findings::to_gitlab(f.severity)) + "** · **" + heading + "**";
  if (!f.rule_id.empty()) out += " · " + markdown::code(f.rule_id, 100);
  if (f.confidence != findings::Confidence::high)
    out += " · " + std::string(findings::to_string(f.confidence)) + " confidence";
  out += "\n\n";
  if (f.dependency) {
    const auto& d = *f.dependency;
    out += markdown::code(d.package, 100) + " " + markdown::code(d.version, 60);
    if (!d.ecosystem.empty()) out += " (" + markdown::text(d.ecosystem, 40) + ")";
    out += " in " + markdown::code(d.lockfile.empty() ? f.path : d.lockfile);
    if (f.line > 0) out += " line " + std::to_string(f.line);
    if (!d.summary.empty()) out += ": " + markdown::text(d.summary, 300);
    out += d.fixed_version.empty() ? ". No fixed version yet.\n"
                                   : ". Fixed in " + markdown::code(d.fixed_version, 60) + ".\n";
  } else if (f.variable) {
    out += variable_text(*f.variable) + " is added in " + location(f) +
           ". Rotate the variable's value, then remove it from the branch history; deleting it in a later commit "
           "leaves it readable in git.\n";
  } else if (f.secret) {
    out += "A secret " + (f.secret->redacted.empty() ? std::string() : markdown::code(f.secret->redacted, 40) + " ") +
           "is added in " + location(f) + ". Revoke it, then remove it from the branch history; "
           "deleting it in a later commit leaves it readable in git.\n";
    if (f.token_check) out += "\n" + token_text(*f.token_check) + "\n";
  } else if (f.tool) {
    out += tool_facts(f) + "\nFound in " + location(f) + ":\n" + snippet_block(f);
    if (!f.description.empty()) out += "\n" + markdown::text(f.description, 1000) + "\n";
  } else {
    out += "Found in " + location(f) + ".\n";
    if (!f.description.empty()) out += "\n" + markdown::text(f.description, 500) + "\n";
  }
  out += "\n<sub>jit-agent · " + markdown::text(f.control, 40) + " · fingerprint " +
         markdown::code(fingerprint_of(f).substr(0, 12)) + "</sub>\n";
  return out;
}

std::string package_thread_key(const findings::PackageGroup& group) {
  return findings::package_group_key(group.detail());
}

std::string package_thread_body(const findings::PackageGroup& g) {
  const auto& d = g.detail();
  const Finding& f = g.first();
  std::string out = thread_markers(package_thread_key(g), "dependencies");
  out += "**" + std::string(findings::to_gitlab(g.highest)) + "** · **Vulnerable dependency** · " +
         markdown::code(d.package, 100) + " " + markdown::code(d.version, 60);
  if (!d.ecosystem.empty()) out += " (" + markdown::text(d.ecosystem, 40) + ")";
  out += "\n\n";
  out += g.advisories.size() == 1 ? std::string("One advisory affects ")
                                  : std::to_string(g.advisories.size()) + " advisories affect ";
  out += "this version, declared in " + markdown::code(d.lockfile.empty() ? f.path : d.lockfile);
  if (f.line > 0) out += " line " + std::to_string(f.line);
  out += ".\n\n";
  if (d.fix_version.empty()) {
    out += "**No fixed version** is known for any of them: check the advisories for workarounds, or replace the "
           "package.\n";
  } else if (g.still_open.empty()) {
    out += "**Upgrade to " + markdown::code(d.fix_version, 60) + "**: the smallest version that fixes " +
           (g.advisories.size() == 1 ? std::string("it") : "all of them") + ".\n";
  } else {
    out += "**Upgrade to " + markdown::code(d.fix_version, 60) + "**: it fixes " +
           std::to_string(g.advisories.size() - g.still_open.size()) + " of them; no single version fixes all, " +
           std::to_string(g.still_open.size()) + " stay" + (g.still_open.size() == 1 ? "s" : "") + " open (marked below).\n";
  }
  out += "\n| Severity | Advisory | Summary | Fixed in |\n|:--|:--|:--|:--|\n";
  for (const Finding* a : g.advisories) {
    const auto& ad = *a->dependency;
    std::string id = markdown::code(ad.advisory_id, 60);
    if (!ad.aliases.empty()) id += " (" + markdown::text(ad.aliases.front(), 40) + (ad.aliases.size() > 1 ? ", …" : "") + ")";
    const bool open = std::binary_search(g.still_open.begin(), g.still_open.end(), ad.advisory_id);
    out += "| " + std::string(findings::to_gitlab(a->severity)) + " | " + id + " | " +
           markdown::text(ad.summary, 200) + " | " +
           (ad.fixed_version.empty() ? std::string("no fix") : markdown::code(ad.fixed_version, 60)) +
           (open ? " · stays open" : "") + " |\n";
  }
  out += "\n<sub>jit-agent · dependencies · updated in place when the advisories change · key " +
         markdown::code(package_thread_key(g).substr(0, 12)) + "</sub>\n";
  return out;
}

std::string resolved_reply(std::string_view head_sha) {
  return std::string(kResolvedMarker) + "\nNo longer detected at " + markdown::code(short_sha(head_sha)) +
         ": resolving this thread.\n";
}

std::string left_diff_reply(std::string_view head_sha) {
  return std::string(kResolvedMarker) + "\nNo longer on a line this merge request adds at " +
         markdown::code(short_sha(head_sha)) +
         ", but it is still in the branch history: rotate it (the summary note keeps listing it). "
         "Resolving this thread.\n";
}

std::string left_diff_reply(std::string_view head_sha, std::string_view control) {
  if (control.empty() || control == "secrets") return left_diff_reply(head_sha);
  return std::string(kResolvedMarker) + "\nNo longer on a line this merge request adds at " +
         markdown::code(short_sha(head_sha)) +
         " (the finding is still reported elsewhere in the branch; the summary note lists it). "
         "Resolving this thread.\n";
}

std::string reopened_reply(std::string_view head_sha) {
  return "Detected again at " + markdown::code(short_sha(head_sha)) + ": reopening this thread.\n";
}

std::size_t count_failing(const std::vector<Finding>& list, std::optional<Severity> fail_on) {
  if (!fail_on) return 0;
  std::size_t n = 0;
  for (const auto& f : list) n += f.severity >= *fail_on ? 1 : 0;
  return n;
}

std::string summary_body(const SummaryInput& in) {
  std::string out = std::string(kSummaryMarker) + "\n### jit-agent security scan\n\n";
  const std::size_t failing = count_failing(in.findings, in.fail_on);
  const std::string commit = in.head_sha.empty() ? "" : " · commit " + markdown::code(short_sha(in.head_sha));
  if (in.findings.empty()) {
    out += "✅ **No findings**" + std::string(in.errored.empty() ? "" : " from the controls that ran") + commit + "\n";
  } else if (failing > 0) {
    out += "❌ **" + plural(failing, "finding") + " at or above " + std::string(findings::to_string(*in.fail_on)) +
           "** (" + plural(in.findings.size(), "finding") + " in total)" + commit + "\n";
  } else {
    out += "⚠️ **" + plural(in.findings.size(), "finding") + "**, none " +
           (in.fail_on ? "at or above " + std::string(findings::to_string(*in.fail_on)) : std::string("blocking")) +
           commit + "\n";
  }
  // Said plainly and first: a control that did not run is not a clean result.
  if (!in.errored.empty()) {
    out += "\n";
    for (const auto& issue : in.errored)
      out += "- ⚠ " + issue_line(issue, "did not run") + "; its findings are missing from this scan\n";
  }

  // Counts per control and severity: every control that ran gets a row, even with zero findings.
  std::set<std::string> errored;
  for (const auto& issue : in.errored) errored.insert(issue.control);
  std::map<std::string, std::array<std::size_t, 6>> counts;
  for (const auto& c : in.controls) counts[c] = {};
  for (const auto& c : errored) counts[c];
  for (const auto& f : in.findings) counts[f.control][static_cast<std::size_t>(f.severity)]++;
  if (!counts.empty()) {
    out += "\n| Control | Critical | High | Medium | Low | Info | Unknown | Total |\n"
           "|:--|--:|--:|--:|--:|--:|--:|--:|\n";
    for (const auto& [control, row] : counts) {
      out += "| " + markdown::text(control, 60);
      if (errored.count(control)) out += " ⚠ did not run";
      std::size_t total = 0;
      for (Severity s : kSeverityOrder) {
        out += " | " + std::to_string(row[static_cast<std::size_t>(s)]);
        total += row[static_cast<std::size_t>(s)];
      }
      out += " | " + std::to_string(total) + " |\n";
    }
  }

  // Dependencies: one row per vulnerable package, with the upgrade that fixes it.
  if (const auto groups = findings::group_dependencies(in.findings); !groups.empty()) {
    std::size_t advisories = 0, fixes_all = 0, partial = 0, none = 0;
    for (const auto& g : groups) {
      advisories += g.advisories.size();
      if (!g.has_fix()) ++none;
      else if (g.still_open.empty()) ++fixes_all;
      else ++partial;
    }
    out += "\n#### Dependencies\n\n" + plural(groups.size(), "vulnerable package") + " (" +
           (advisories == 1 ? std::string("1 advisory") : std::to_string(advisories) + " advisories") + "): " +
           std::to_string(fixes_all) + " fixed by one upgrade, " + std::to_string(partial) + " partly, " +
           std::to_string(none) + " with no fix.\n\n"
           "| Severity | Package | Installed | Upgrade to | Advisories | Lockfile |\n|:--|:--|:--|:--|--:|:--|\n";
    std::size_t shown = 0;
    for (const auto& g : groups) {
      if (shown == in.max_listed) break;
      const auto& d = g.detail();
      std::string upgrade = !g.has_fix() ? std::string("no fix") : markdown::code(d.fix_version, 60);
      if (g.has_fix() && !g.still_open.empty()) upgrade += " (" + std::to_string(g.still_open.size()) + " stay open)";
      std::string where = markdown::code(d.lockfile.empty() ? g.first().path : d.lockfile);
      if (g.first().line > 0) where += " line " + std::to_string(g.first().line);
      out += "| " + std::string(findings::to_gitlab(g.highest)) + " | " + markdown::code(d.package, 100) + " | " +
             markdown::code(d.version, 60) + " | " + upgrade + " | " + std::to_string(g.advisories.size()) + " | " +
             where + " |\n";
      ++shown;
    }
    if (groups.size() > shown)
      out += "\n… and " + std::to_string(groups.size() - shown) + " more packages (see the job's reports)\n";
  }

  // One section per external control: its counts and its new findings (on lines the MR adds).
  std::map<std::string, std::vector<const Finding*>> added_by_control;
  for (const Finding* f : in.added) added_by_control[f->control].push_back(f);
  std::map<std::string, std::string> labels;
  for (const auto& f : in.findings)
    if (f.tool && !labels.count(f.control)) labels[f.control] = tool_name(f);
  for (const auto& [control, row] : counts) {
    if (is_builtin(control)) continue;
    std::string heading = markdown::text(control, 60);
    if (auto it = labels.find(control); it != labels.end() && it->second != heading) heading += " · " + it->second;
    out += "\n#### " + heading + "\n\n";
    std::size_t total = 0;
    for (auto n : row) total += n;
    std::string line = total ? plural(total, "finding") + " (" + severity_counts(row) + ")" : "No findings";
    if (errored.count(control)) line += total ? " where it ran; it did not run everywhere (see above)" : "; it did not run (see above)";
    const auto& added = added_by_control[control];
    if (!in.added.empty() || !added.empty()) line += " · " + std::to_string(added.size()) + " new on lines this merge request adds";
    out += line + "\n";
    if (!added.empty()) {
      out += "\n";
      std::size_t shown = 0;
      for (const Finding* f : added) {
        if (shown == in.max_listed) break;
        out += list_line(*f);
        ++shown;
      }
      if (added.size() > shown)
        out += "- … and " + std::to_string(added.size() - shown) + " more (see the job's reports)\n";
    }
  }

  out += list_section("Outside the diff", "Not on lines this merge request adds, so not commented inline:",
                      in.outside_diff, in.max_listed);
  out += list_section("On added lines, without an inline thread", "", in.not_inline, in.max_listed);
  out += list_section("Low confidence",
                      "On lines this merge request adds, not commented inline: weak passwords or matches that "
                      "may not be secrets. Check each; a real one is as leaked as any other:",
                      in.low_confidence, in.max_listed);
  if (!in.ignored.empty()) {
    out += "\n#### Ignored (" + std::to_string(in.ignored.size()) + ")\n\n"
           "Dismissed in the security team's ignores file; not counted above:\n\n";
    std::size_t shown = 0;
    for (const Finding* f : in.ignored) {
      if (shown == in.max_listed) break;
      std::string line = list_line(*f);
      if (f->suppression) {
        const auto& s = *f->suppression;
        if (!line.empty() && line.back() == '\n') line.pop_back();
        line += " — " + std::string(s.reason == "accepted_risk" ? "accepted risk" : "false positive");
        if (!s.author.empty()) line += " by " + markdown::text(s.author, 80);
        if (!s.expires.empty()) line += ", until " + markdown::text(s.expires, 20);
        line += "\n";
      }
      out += line;
      ++shown;
    }
    if (in.ignored.size() > shown)
      out += "- … and " + std::to_string(in.ignored.size() - shown) + " more (see the job's reports)\n";
  }
  if (!in.skipped.empty()) {
    out += "\n<sub>Skipped: ";
    for (std::size_t i = 0; i < in.skipped.size(); ++i) out += (i ? "; " : "") + issue_line(in.skipped[i], "skipped");
    out += "</sub>\n";
  }
  if (markdown::is_safe_url(in.pipeline_url)) out += "\n[Pipeline](" + in.pipeline_url + ") · ";
  else out += "\n";
  std::string reports = "`gl-secret-detection-report.json`, ";
  if (std::find(in.controls.begin(), in.controls.end(), "dependencies") != in.controls.end())
    reports += "`gl-dependency-scanning-report.json`, ";
  bool external = !in.errored.empty() && std::any_of(in.errored.begin(), in.errored.end(),
                                                     [](const auto& i) { return !is_builtin(i.control); });
  for (const auto& c : in.controls) external = external || !is_builtin(c);
  if (external) reports += "`gl-sast-report.json`, ";
  out += "<sub>Reports: " + reports + "`jit-agent.sarif`, `jit-agent.json` and, for people, `jit-agent.html` in the job's artifacts.</sub>\n";
  return out;
}

std::string status_description(const std::vector<Finding>& list, std::optional<Severity> fail_on) {
  if (list.empty()) return "jit-agent: no findings";
  std::array<std::size_t, 6> by{};
  for (const auto& f : list) by[static_cast<std::size_t>(f.severity)]++;
  std::string parts;
  for (Severity s : kSeverityOrder) {
    if (by[static_cast<std::size_t>(s)] == 0) continue;
    if (!parts.empty()) parts += ", ";
    parts += std::to_string(by[static_cast<std::size_t>(s)]) + " " + std::string(findings::to_string(s));
  }
  std::string out = "jit-agent: " + plural(list.size(), "finding") + " (" + parts + ")";
  if (fail_on) {
    std::size_t failing = count_failing(list, fail_on);
    out += failing ? "; " + std::to_string(failing) + " at or above " + std::string(findings::to_string(*fail_on))
                   : "; none at or above " + std::string(findings::to_string(*fail_on));
  }
  return markdown::truncate_utf8(out, 255);
}

}  // namespace agent::publish
