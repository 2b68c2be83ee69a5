// The HTML report: one self-contained page for a person (a security reviewer opening the CI artifact):
// header, summary counts, secrets, vulnerable packages grouped the way people fix them, each external
// control's findings, ignored findings, warnings and controls that did not run. No script, no
// external asset, a Content-Security-Policy that forbids both; every string from a scanned file, a
// tool or a commit is made terminal-safe (sanitize_terminal) and then HTML-escaped, and links are
// only ever http(s). Secrets are always shown redacted, whatever Options::show_secrets says.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>

#include "agent/findings/dependency_groups.h"
#include "agent/findings/token_text.h"
#include "agent/report/common.h"
#include "agent/report/time_format.h"

namespace agent::report {
namespace {

using findings::Finding;
using findings::Severity;

/// Text from anywhere as inert HTML text or attribute value: control characters and escape
/// sequences removed first (newlines too: a file name must not forge a second row), then the five
/// characters HTML gives meaning escaped.
std::string esc(std::string_view text) {
  std::string clean = sanitize_terminal(text);
  std::string out;
  out.reserve(clean.size() + clean.size() / 8);
  for (char c : clean) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

/// `text` as a link to `url` when it is an http(s) URL, else as plain text (a tool may say
/// "javascript:..." or "file:///"; neither becomes clickable).
std::string link(std::string_view url, std::string_view text) {
  std::string clean = sanitize_terminal(url);
  std::string scheme = clean.substr(0, 8);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
  bool web = scheme.rfind("https://", 0) == 0 || scheme.rfind("http://", 0) == 0;
  if (!web || clean.find_first_of(" ") != std::string::npos) return esc(text);
  return "<a href=\"" + esc(clean) + "\" rel=\"noopener noreferrer\">" + esc(text) + "</a>";
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return out;
}

/// The severity as a word on a coloured badge: colour helps, the word is what counts (print,
/// colour blindness, screen readers).
std::string badge(Severity s) {
  auto name = findings::to_string(s);
  return "<span class=\"sev sev-" + std::string(name) + "\">" + upper(name) + "</span>";
}

/// "path:line:column", "path:line" or "path" ("(no file)" when a finding has no path), escaped.
std::string location(const Finding& f) {
  std::string where = f.path.empty() ? "(no file)" : f.path;
  if (f.line > 0) where += ':' + std::to_string(f.line);
  if (f.line > 0 && f.column > 0) where += ':' + std::to_string(f.column);
  return esc(where);
}

/// A table cell; `label` is the column's name, shown beside the value on narrow screens.
std::string td(std::string_view label, const std::string& html, std::string_view cls = "") {
  std::string out = "<td data-label=\"" + std::string(label) + "\"";
  if (!cls.empty()) out += " class=\"" + std::string(cls) + "\"";
  return out + ">" + html + "</td>";
}

void table_head(std::ostream& out, std::initializer_list<std::string_view> columns) {
  out << "<table class=\"cards\">\n<thead><tr>";
  for (auto c : columns) out << "<th scope=\"col\">" << c << "</th>";
  out << "</tr></thead>\n<tbody>\n";
}

constexpr std::string_view kTableEnd = "</tbody>\n</table>\n";

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + ' ' + std::string(n == 1 ? one : many);
}

std::string duration_text(const findings::ScanResult& result) {
  long long ms = duration_ms(result.start_time, result.end_time);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%02lld s", ms / 1000, (ms % 1000) / 10);
  return buf;
}

constexpr std::string_view kStyle = R"(
:root{color-scheme:light;--line:#d0d7de;--muted:#57606a}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1f2328;background:#fff;margin:0 auto;padding:1rem;max-width:80rem}
h1{font-size:1.6rem;margin:.2rem 0 .8rem}h2{font-size:1.25rem;margin:2rem 0 .5rem;border-bottom:1px solid var(--line);padding-bottom:.2rem}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:0}dl.meta dt{font-weight:600}dl.meta dd{margin:0;overflow-wrap:anywhere}
nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.3rem 1rem}
table{border-collapse:collapse;width:100%;margin:.4rem 0 1rem}.scroll{overflow-x:auto}
th,td{border:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top;overflow-wrap:break-word}
td code{overflow-wrap:anywhere}
thead th{background:#f6f8fa}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
.muted{color:var(--muted)}
.sev{display:inline-block;white-space:nowrap;min-width:5.2em;padding:0 .35em;border-radius:3px;font-weight:700;font-size:.8em;text-align:center;color:#fff;border:1px solid transparent;-webkit-print-color-adjust:exact;print-color-adjust:exact}
.sev-critical{background:#8b1a1a}.sev-high{background:#c2410c}.sev-medium{background:#8a6100}.sev-low{background:#1d5fbf}.sev-info{background:#57606a}.sev-unknown{background:#fff;color:#1f2328;border-color:#57606a}
details summary{cursor:pointer}
ul.advisories{margin:.3rem 0 0;padding-left:1.1rem}ul.advisories li{margin:.2rem 0}
.none{color:var(--muted);font-style:italic}
@media (max-width:44rem){
 table.cards,table.cards thead,table.cards tbody,table.cards tr,table.cards td{display:block}table.cards thead{display:none}
 table.cards tr{border:1px solid var(--line);margin:0 0 .6rem}table.cards td{border:0;border-bottom:1px solid #eaeef2;text-align:left}
 table.cards td::before{content:attr(data-label);display:block;font-size:.75em;font-weight:600;color:var(--muted)}table.cards td:empty{display:none}
 table.counts{font-size:.85em}table.counts th,table.counts td{padding:.2rem .3rem}table.counts .sev{min-width:0}
 dl.meta{grid-template-columns:1fr}
}
@media print{
 body{max-width:none;padding:0;font-size:11pt}nav{display:none}
 a{color:inherit}thead{display:table-header-group}tr{break-inside:avoid}
 details::details-content{content-visibility:visible;display:block}details summary{list-style:none}
}
)";

void write_header(std::ostream& out, const findings::ScanResult& result, const Options& options) {
  out << "<header>\n<h1>Jit security report</h1>\n<dl class=\"meta\">\n";
  out << "<dt>Scanned</dt><dd><code>" << esc(result.root.empty() ? "." : result.root) << "</code></dd>\n";
  if (!result.commit_sha.empty())
    out << "<dt>Commit</dt><dd><code>" << esc(result.commit_sha) << "</code></dd>\n";
  out << "<dt>Started</dt><dd>" << esc(rfc3339_utc(result.start_time)) << "</dd>\n";
  out << "<dt>Duration</dt><dd>" << duration_text(result) << "</dd>\n";
  out << "<dt>Tool</dt><dd>jit-agent " << esc(options.tool_version) << "</dd>\n";
  std::string controls;
  for (const auto& c : result.controls) controls += (controls.empty() ? "" : ", ") + esc(c);
  out << "<dt>Controls</dt><dd>" << (controls.empty() ? "<span class=\"none\">none</span>" : controls) << "</dd>\n";
  const auto& st = result.stats;
  out << "<dt>Files</dt><dd>" << plural(st.files_scanned, "file", "files") << " scanned (" << st.bytes_scanned
      << " bytes)";
  if (st.commits_scanned > 0) out << ", " << plural(st.commits_scanned, "commit", "commits");
  out << "; skipped " << st.skipped_binary << " binary, " << st.skipped_too_large << " too large, "
      << st.skipped_excluded << " excluded, " << st.skipped_symlinks << " symlinks, " << st.unreadable
      << " unreadable; " << st.suppressed << " suppressed inline</dd>\n";
  out << "</dl>\n</header>\n";
}

/// Findings per control and severity, controls in the order they ran (then any other).
void write_summary(std::ostream& out, const findings::ScanResult& result, const std::vector<const Finding*>& list) {
  std::vector<std::string> order = result.controls;
  std::map<std::string, std::array<std::size_t, 6>> counts;
  for (const auto& c : order) counts[c];
  for (const auto* f : list) {
    if (!counts.count(f->control)) order.push_back(f->control);
    ++counts[f->control][static_cast<std::size_t>(f->severity)];
  }
  auto total = count_by_severity(list);
  out << "<section id=\"summary\">\n<h2>Summary</h2>\n<p><strong>" << plural(list.size(), "finding", "findings")
      << "</strong>";
  std::string parts;
  for (int s = static_cast<int>(Severity::critical); s >= 0; --s)
    if (auto n = total[static_cast<std::size_t>(s)]; n > 0)
      parts += (parts.empty() ? "" : ", ") + std::to_string(n) + ' ' + std::string(findings::to_string(Severity(s)));
  if (!parts.empty()) out << " (" << parts << ")";
  if (!result.ignored.empty()) out << "; " << result.ignored.size() << " ignored";
  out << ".</p>\n";
  // Numbers only: it stays a table on a narrow screen (scrolling inside its box if it must).
  out << "<div class=\"scroll\"><table class=\"counts\">\n<thead><tr><th scope=\"col\">Control</th>";
  for (int s = static_cast<int>(Severity::critical); s >= 0; --s) out << "<th scope=\"col\" class=\"num\">" << badge(Severity(s)) << "</th>";
  out << "<th scope=\"col\" class=\"num\">Total</th></tr></thead>\n<tbody>\n";
  auto row = [&](const std::string& name_html, const std::array<std::size_t, 6>& c) {
    out << "<tr>" << td("Control", name_html);
    std::size_t sum = 0;
    for (int s = static_cast<int>(Severity::critical); s >= 0; --s) {
      sum += c[static_cast<std::size_t>(s)];
      out << td(upper(findings::to_string(Severity(s))), std::to_string(c[static_cast<std::size_t>(s)]), "num");
    }
    out << td("Total", std::to_string(sum), "num") << "</tr>\n";
  };
  // "(errored in /services/worker: findings missing)": where a control did not run, its zeros say nothing.
  auto tagged = [&](const std::string& c) {
    auto where = [&](const std::vector<findings::ControlIssue>& issues) {
      std::string folders;
      bool found = false, everywhere = false;
      for (const auto& i : issues) {
        if (i.control != c) continue;
        found = true;
        if (i.folder.empty() || i.folder == "/") everywhere = true;
        else folders += (folders.empty() ? " in " : ", ") + esc(i.folder);
      }
      return !found ? std::string("-") : everywhere ? std::string() : folders;
    };
    std::string html = esc(c);
    if (auto e = where(result.errored_controls); e != "-") html += " <strong>(errored" + e + ": findings missing)</strong>";
    if (auto s = where(result.skipped_controls); s != "-") html += " <span class=\"muted\">(skipped" + s + ")</span>";
    return html;
  };
  for (const auto& c : order) row(tagged(c), counts[c]);
  row("<strong>All</strong>", total);
  out << kTableEnd << "</div>\n</section>\n";
}

void write_secrets(std::ostream& out, const std::vector<const Finding*>& list) {
  out << "<section id=\"secrets\">\n<h2>Secrets (" << list.size() << ")</h2>\n";
  if (list.empty()) {
    out << "<p class=\"none\">No secrets found.</p>\n</section>\n";
    return;
  }
  out << "<p class=\"muted\">Values are redacted: a prefix at most. Rotate every key listed, then remove it.</p>\n";
  table_head(out, {"Location", "Rule", "Severity", "Confidence", "Value (redacted)", "Commit"});
  for (const auto* f : list) {
    std::string rule = "<code>" + esc(f->rule_id) + "</code>";
    if (!f->rule_name.empty()) rule += "<br>" + esc(f->rule_name);
    std::string value;
    if (f->secret) {
      value = "<code>" + esc(f->secret->redacted) + "</code>";
      if (!f->secret->encoding.empty()) value += " <span class=\"muted\">(" + esc(f->secret->encoding) + ")</span>";
    }
    if (f->variable)  // names the CI/CD variable, never its value
      value = "variable <code>" + esc(f->variable->key) + "</code><br><span class=\"muted\">" +
              esc(findings::variable_sentence(*f->variable)) + "</span>";
    if (f->token_check) {
      const auto& c = *f->token_check;
      value += "<br><strong>" + esc(findings::token_status_label(c)) + "</strong>";
      if (auto details = findings::token_details(c); !details.empty())
        value += " <span class=\"muted\">(" + esc(details) + ")</span>";
      if (c.status == "unknown" && !c.reason.empty()) value += " <span class=\"muted\">" + esc(c.reason) + "</span>";
      if (!c.original_severity.empty())
        value += "<br><span class=\"muted\">severity was " + esc(c.original_severity) + "</span>";
    }
    std::string commit;
    if (!f->commit.empty()) commit = "<code title=\"" + esc(f->commit) + "\">" + esc(f->commit.substr(0, 12)) + "</code>";
    if (f->provenance) {
      const auto& p = *f->provenance;
      // The author's name only: e-mail addresses stay out of an artifact anyone with job access reads.
      if (auto name = commit_text(p.author_name); !name.empty()) commit += " by " + esc(name);
      if (p.date.size() >= 10) commit += " on " + esc(p.date.substr(0, 10));
      if (auto summary = commit_text(p.summary); !summary.empty())
        commit += "<br><span class=\"muted\">" + esc(truncate_utf8(summary, 120)) + "</span>";
    }
    out << "<tr>" << td("Location", "<code>" + location(*f) + "</code>") << td("Rule", rule)
        << td("Severity", badge(f->severity)) << td("Confidence", std::string(findings::to_string(f->confidence)))
        << td("Value", value) << td("Commit", commit) << "</tr>\n";
  }
  out << kTableEnd << "</section>\n";
}

std::string id_list(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + ("<code>" + esc(id) + "</code>");
  return out;
}

std::string advisory_item(const Finding& f) {
  const auto& d = *f.dependency;
  std::string ref = first_web_reference(f);
  std::string item = "<li>" + badge(f.severity) + ' ' + (ref.empty() ? esc(d.advisory_id) : link(ref, d.advisory_id));
  if (!d.aliases.empty()) {
    std::string aliases;
    for (const auto& a : d.aliases) aliases += (aliases.empty() ? "" : ", ") + esc(a);
    item += " (" + aliases + ")";
  }
  if (!d.summary.empty()) item += ": " + esc(truncate_utf8(d.summary, 300));
  std::string facts;
  if (d.cvss_score) {
    char score[16];
    std::snprintf(score, sizeof score, "%.1f", *d.cvss_score);
    facts += std::string("CVSS ") + score;
  }
  if (!d.severity_source.empty() && d.severity_source != "none")
    facts += (facts.empty() ? "" : "; ") + ("severity from " + esc(d.severity_source));
  facts += (facts.empty() ? "" : "; ") +
           (d.fixed_version.empty() ? std::string("no fixed version") : "fixed in " + esc(d.fixed_version));
  return item + " <span class=\"muted\">[" + facts + "]</span></li>";
}

void write_dependencies(std::ostream& out, const std::vector<const Finding*>& list) {
  auto groups = findings::group_dependencies(list);
  out << "<section id=\"dependencies\">\n<h2>Vulnerable dependencies (" << plural(groups.size(), "package", "packages")
      << ", " << plural(list.size(), "advisory", "advisories") << ")</h2>\n";
  if (groups.empty()) {
    out << "<p class=\"none\">No vulnerable dependencies found.</p>\n</section>\n";
    return;
  }
  table_head(out, {"Package", "Installed", "Highest", "Advisories", "Upgrade to", "Still open", "Type", "Location"});
  for (const auto& g : groups) {
    const auto& d = g.detail();
    std::string advisories = "<details><summary>" + plural(g.advisories.size(), "advisory", "advisories") +
                             "</summary>\n<ul class=\"advisories\">\n";
    for (const auto* f : g.advisories) advisories += advisory_item(*f) + '\n';
    advisories += "</ul></details>";
    std::string fix = "<span class=\"none\">no fix</span>";
    std::string open;
    if (g.has_fix()) {
      fix = "<strong><code>" + esc(d.fix_version) + "</code></strong>";
      // The ids it resolves are the advisories not listed as still open (all of them are in the details).
      std::size_t n = g.advisories.size(), fixed = n - std::min(n, g.still_open.size());
      fix += "<br><span class=\"muted\">" +
             (g.still_open.empty() ? (n == 1 ? std::string("fixes the advisory") : "fixes all " + std::to_string(n))
                                   : "fixes " + std::to_string(fixed) + " of " + std::to_string(n)) +
             "</span>";
      open = g.still_open.empty() ? "<span class=\"none\">nothing</span>" : id_list(g.still_open);
    } else {
      open = g.advisories.size() == 1 ? "the advisory" : "all " + std::to_string(g.advisories.size());
    }
    std::string type = !d.direct_known ? "unknown" : d.direct ? "direct" : "transitive";
    std::string where = d.lockfile.empty() ? g.first().path : d.lockfile;
    if (g.first().line > 0) where += ':' + std::to_string(g.first().line);
    std::string location_html = "<code>" + esc(where) + "</code>";
    if (auto folder = folder_of(d); folder != "/") location_html += "<br><span class=\"muted\">folder " + esc(folder) + "</span>";
    out << "<tr>" << td("Package", "<strong>" + esc(d.package) + "</strong><br><span class=\"muted\">" + esc(d.ecosystem) + "</span>")
        << td("Installed", "<code>" + esc(d.version) + "</code>") << td("Highest", badge(g.highest))
        << td("Advisories", advisories) << td("Upgrade to", fix) << td("Still open", open) << td("Type", type)
        << td("Location", location_html) << "</tr>\n";
  }
  out << kTableEnd << "</section>\n";
}

/// One section per external control: where, rule (linked to its documentation), severity, message.
void write_external(std::ostream& out, const std::vector<const Finding*>& list) {
  std::map<std::string, std::vector<const Finding*>> by_control;
  for (const auto* f : list) by_control[f->control].push_back(f);
  int index = 0;
  for (const auto& [control, items] : by_control) {
    std::string heading = esc(control);
    if (auto label = tool_label(*items.front()); label != sanitize_terminal(control)) heading += " (" + esc(label) + ")";
    out << "<section id=\"control-" << ++index << "\">\n<h2>" << heading << " (" << items.size() << ")</h2>\n";
    table_head(out, {"Location", "Rule", "Severity", "Message"});
    for (const auto* f : items) {
      std::string rule_text = f->rule_id.empty() ? f->rule_name : f->rule_id;
      std::string rule = "<code>" + (f->tool ? link(f->tool->help_uri, rule_text) : esc(rule_text)) + "</code>";
      if (!f->rule_name.empty() && f->rule_name != rule_text) rule += "<br><span class=\"muted\">" + esc(f->rule_name) + "</span>";
      std::string message = esc(truncate_utf8(sanitize_terminal(f->description.empty() ? f->rule_name : f->description), 500));
      if (!f->cwes.empty()) message += " <span class=\"muted\">" + id_list(f->cwes) + "</span>";
      out << "<tr>" << td("Location", "<code>" + location(*f) + "</code>") << td("Rule", rule)
          << td("Severity", badge(f->severity)) << td("Message", message) << "</tr>\n";
    }
    out << kTableEnd << "</section>\n";
  }
}

void write_ignored(std::ostream& out, const findings::ScanResult& result) {
  if (result.ignored.empty()) return;
  out << "<section id=\"ignored\">\n<h2>Ignored (" << result.ignored.size() << ")</h2>\n"
      << "<p class=\"muted\">Dismissed by an ignores file or a baseline: not counted above and not failing the scan.</p>\n";
  table_head(out, {"Location", "Control", "Rule", "Severity", "Reason", "By", "Expires", "Entry", "Comment"});
  for (const auto& f : result.ignored) {
    findings::Suppression s = f.suppression.value_or(findings::Suppression{});
    std::string reason = s.reason == "accepted_risk" ? "accepted risk" : s.reason == "false_positive" ? "false positive" : esc(s.reason);
    out << "<tr>" << td("Location", "<code>" + location(f) + "</code>") << td("Control", esc(f.control))
        << td("Rule", "<code>" + esc(f.rule_id) + "</code>") << td("Severity", badge(f.severity)) << td("Reason", reason)
        << td("By", esc(s.author)) << td("Expires", s.expires.empty() ? "never" : esc(s.expires))
        << td("Entry", "<code>" + esc(s.source) + "</code>") << td("Comment", esc(s.comment)) << "</tr>\n";
  }
  out << kTableEnd << "</section>\n";
}

/// Warnings and controls whose results are missing (errored) or that did not apply (skipped).
void write_problems(std::ostream& out, const findings::ScanResult& result) {
  if (result.warnings.empty() && result.errored_controls.empty() && result.skipped_controls.empty()) return;
  out << "<section id=\"problems\">\n<h2>Warnings and controls that did not run</h2>\n<ul>\n";
  for (const auto& issue : result.errored_controls)
    out << "<li><strong>errored</strong>: " << esc(describe_issue(issue, "did not run")) << "; its findings are missing</li>\n";
  for (const auto& issue : result.skipped_controls)
    out << "<li><strong>skipped</strong>: " << esc(describe_issue(issue, "skipped")) << "</li>\n";
  for (const auto& w : result.warnings) out << "<li>warning: " << esc(w) << "</li>\n";
  out << "</ul>\n</section>\n";
}

}  // namespace

void write_html(std::ostream& out, const findings::ScanResult& result, const Options& options) {
  auto list = sorted_findings(result);
  std::vector<const Finding*> matches, dependencies, external;
  for (const auto* f : list) (is_dependency(*f) ? dependencies : is_external(*f) ? external : matches).push_back(f);
  auto ran = [&](std::string_view control) {
    return std::find(result.controls.begin(), result.controls.end(), control) != result.controls.end();
  };
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
      << "<meta name=\"referrer\" content=\"no-referrer\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<title>Jit security report: " << esc(result.root.empty() ? "." : result.root) << "</title>\n"
      << "<style>" << kStyle << "</style>\n</head>\n<body>\n";
  write_header(out, result, options);
  out << "<nav><ul><li><a href=\"#summary\">Summary</a></li>";
  if (!matches.empty() || ran("secrets")) out << "<li><a href=\"#secrets\">Secrets</a></li>";
  if (!dependencies.empty() || ran("dependencies")) out << "<li><a href=\"#dependencies\">Dependencies</a></li>";
  std::map<std::string, int> tools;  // the external controls' sections, numbered as write_external does
  for (const auto* f : external) tools[f->control];
  int index = 0;
  for (const auto& [control, n] : tools) out << "<li><a href=\"#control-" << ++index << "\">" << esc(control) << "</a></li>";
  if (!result.ignored.empty()) out << "<li><a href=\"#ignored\">Ignored</a></li>";
  if (!result.warnings.empty() || !result.errored_controls.empty() || !result.skipped_controls.empty())
    out << "<li><a href=\"#problems\">Warnings</a></li>";
  out << "</ul></nav>\n<main>\n";
  write_summary(out, result, list);
  if (!matches.empty() || ran("secrets")) write_secrets(out, matches);
  if (!dependencies.empty() || ran("dependencies")) write_dependencies(out, dependencies);
  write_external(out, external);
  write_ignored(out, result);
  write_problems(out, result);
  out << "</main>\n<footer><p class=\"muted\">Written by jit-agent " << esc(options.tool_version)
      << ". Secret values are never included in this report.</p></footer>\n</body>\n</html>\n";
}

}  // namespace agent::report
