#include "agent/publish/render.h"

#include <algorithm>
#include <array>
#include <map>

#include "agent/publish/markdown.h"
#include "agent/publish/markers.h"
#include "agent/util/hash.h"

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
    if (f.secret && !f.secret->redacted.empty()) out += " · " + markdown::code(f.secret->redacted, 40);
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
  } else if (f.secret) {
    out += "A secret " + (f.secret->redacted.empty() ? std::string() : markdown::code(f.secret->redacted, 40) + " ") +
           "is added in " + location(f) + ". Revoke it, then remove it from the branch history; "
           "deleting it in a later commit leaves it readable in git.\n";
  } else {
    out += "Found in " + location(f) + ".\n";
    if (!f.description.empty()) out += "\n" + markdown::text(f.description, 500) + "\n";
  }
  out += "\n<sub>jit-agent · " + markdown::text(f.control, 40) + " · fingerprint " +
         markdown::code(fingerprint_of(f).substr(0, 12)) + "</sub>\n";
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
    out += "✅ **No findings**" + commit + "\n";
  } else if (failing > 0) {
    out += "❌ **" + plural(failing, "finding") + " at or above " + std::string(findings::to_string(*in.fail_on)) +
           "** (" + plural(in.findings.size(), "finding") + " in total)" + commit + "\n";
  } else {
    out += "⚠️ **" + plural(in.findings.size(), "finding") + "**, none " +
           (in.fail_on ? "at or above " + std::string(findings::to_string(*in.fail_on)) : std::string("blocking")) +
           commit + "\n";
  }

  // Counts per control and severity: every control that ran gets a row, even with zero findings.
  std::map<std::string, std::array<std::size_t, 6>> counts;
  for (const auto& c : in.controls) counts[c] = {};
  for (const auto& f : in.findings) counts[f.control][static_cast<std::size_t>(f.severity)]++;
  if (!counts.empty()) {
    out += "\n| Control | Critical | High | Medium | Low | Info | Unknown | Total |\n"
           "|:--|--:|--:|--:|--:|--:|--:|--:|\n";
    for (const auto& [control, row] : counts) {
      out += "| " + markdown::text(control, 60);
      std::size_t total = 0;
      for (Severity s : kSeverityOrder) {
        out += " | " + std::to_string(row[static_cast<std::size_t>(s)]);
        total += row[static_cast<std::size_t>(s)];
      }
      out += " | " + std::to_string(total) + " |\n";
    }
  }
  out += list_section("Outside the diff", "Not on lines this merge request adds, so not commented inline:",
                      in.outside_diff, in.max_listed);
  out += list_section("On added lines, without an inline thread", "", in.not_inline, in.max_listed);
  out += list_section("Low confidence",
                      "On lines this merge request adds, not commented inline: weak passwords or matches that "
                      "may not be secrets. Check each; a real one is as leaked as any other:",
                      in.low_confidence, in.max_listed);
  if (markdown::is_safe_url(in.pipeline_url)) out += "\n[Pipeline](" + in.pipeline_url + ") · ";
  else out += "\n";
  std::string reports = "`gl-secret-detection-report.json`, ";
  if (std::find(in.controls.begin(), in.controls.end(), "dependencies") != in.controls.end())
    reports += "`gl-dependency-scanning-report.json`, ";
  out += "<sub>Reports: " + reports + "`jit-agent.sarif`, `jit-agent.json` in the job's artifacts.</sub>\n";
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
