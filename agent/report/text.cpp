// The human report, grouped by control: secret matches grouped by file, vulnerable packages as a
// table, each external control's findings, the controls that errored or were skipped, a summary.
// Every string that came from scanned content goes through sanitize_terminal before printing.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <tuple>

#include "agent/findings/dependency_groups.h"
#include "agent/findings/token_text.h"
#include "agent/report/common.h"
#include "agent/report/time_format.h"

namespace agent::report {
namespace {

using findings::Finding;
using findings::Severity;

constexpr std::string_view kReset = "\x1b[0m";
constexpr std::string_view kBold = "\x1b[1m";

std::string_view severity_color(Severity s) {
  switch (s) {
    case Severity::critical: return "\x1b[1;31m";
    case Severity::high: return "\x1b[31m";
    case Severity::medium: return "\x1b[33m";
    case Severity::low: return "\x1b[36m";
    case Severity::info: return "\x1b[2m";
    case Severity::unknown: break;
  }
  return "";
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return out;
}

/// Terminal columns of sanitized UTF-8 text, approximated by code points.
std::size_t display_width(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

/// A table cell: plain text (for width) and an optional colour around it.
struct Cell {
  std::string text;
  std::string_view color;
};

using Row = std::vector<Cell>;

/// The widest cell of each column over `rows`.
std::vector<std::size_t> column_widths(const std::vector<Row>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], display_width(row[i].text));
  }
  return widths;
}

/// Writes one row padded to `widths`; no trailing blanks.
void write_row(std::ostream& out, const Row& row, const std::vector<std::size_t>& widths, bool color) {
  std::size_t last = row.size();
  while (last > 0 && row[last - 1].text.empty()) --last;
  out << "  ";
  for (std::size_t i = 0; i < last; ++i) {
    const Cell& cell = row[i];
    if (color && !cell.color.empty()) out << cell.color << cell.text << kReset;
    else out << cell.text;
    if (i + 1 < last) out << std::string(widths[i] - display_width(cell.text) + 2, ' ');
  }
  out << '\n';
}

void write_heading(std::ostream& out, std::string_view text, bool color) {
  if (color) out << kBold << text << kReset << '\n';
  else out << text << '\n';
}

std::string position(const Finding& f) {
  if (f.line <= 0) return "-";
  return f.column > 0 ? std::to_string(f.line) + ':' + std::to_string(f.column) : std::to_string(f.line);
}

Cell severity_cell(Severity s) { return {upper(findings::to_string(s)), severity_color(s)}; }

// Low confidence is shouted (a weak password, or a match that may not be a secret): worth a look,
// not the same as a confirmed key.
Cell confidence_cell(findings::Confidence c) {
  if (c == findings::Confidence::low) return {"conf LOW", "\x1b[35m"};
  return {"conf " + std::string(findings::to_string(c)), "\x1b[2m"};
}

/// "2024-04-30" of an RFC 3339 date, or "" when `date` does not start with one.
std::string day_of(std::string_view date) {
  if (date.size() < 10) return "";
  for (std::size_t i = 0; i < 10; ++i) {
    bool dash = i == 4 || i == 7;
    if (dash ? date[i] != '-' : !std::isdigit(static_cast<unsigned char>(date[i]))) return "";
  }
  return std::string(date.substr(0, 10));
}

/// At most `max_bytes` of `text`, cut after a whole word when one ends in the second half, "…" added.
std::string shorten(const std::string& text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::string cut = truncate_utf8(text, max_bytes);       // ends in "…" (3 bytes)
  auto space = cut.rfind(' ', cut.size() - 3);
  if (space != std::string::npos && space > max_bytes / 2) cut = cut.substr(0, space) + "\xE2\x80\xA6";
  return cut;
}

/// "commit 0123456789ab by Jane Doe on 2024-04-30: add settings" for a finding a history scan
/// attributed, else "". The author's name only: e-mail addresses stay out of CI logs.
std::string commit_line(const Finding& f) {
  if (!f.provenance) return "";
  const auto& p = *f.provenance;
  std::string line = "commit";
  if (!f.commit.empty()) line += ' ' + sanitize_terminal(std::string_view(f.commit).substr(0, 12));
  if (auto name = shorten(commit_text(p.author_name), 60); !name.empty()) line += " by " + name;
  if (auto day = day_of(p.date); !day.empty()) line += " on " + day;
  // Git's own advice is a summary under ~72 columns; longer ones are cut, not wrapped.
  if (auto summary = shorten(commit_text(p.summary), 80); !summary.empty()) line += ": " + summary;
  return line;
}

/// The match column: the (redacted) secret with what GitLab said about a token ("[active]",
/// "[revoked or expired]"), or the CI/CD variable whose value it is (never the value).
std::string match_text(const Finding& f, const Options& options) {
  if (f.variable) return "variable " + f.variable->key + (f.variable->owner.empty() ? "" : " (" + f.variable->owner + ")");
  std::string text = shown_secret(f, options);
  if (f.token_check && f.token_check->status != "unknown")
    text += " [" + findings::token_status_label(*f.token_check) + "]";
  return text;
}

void write_matches(std::ostream& out, const std::vector<const Finding*>& list, const Options& options) {
  std::vector<Row> rows;
  rows.reserve(list.size());
  for (const auto* f : list)
    rows.push_back({{position(*f), {}},
                    severity_cell(f->severity),
                    confidence_cell(f->confidence),
                    {sanitize_terminal(f->rule_id), {}},
                    {sanitize_terminal(f->rule_name), {}},
                    {sanitize_terminal(match_text(*f, options)), {}}});
  // One set of widths for every file, so the columns line up over the whole report.
  auto widths = column_widths(rows);
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i == 0 || list[i]->path != list[i - 1]->path) {
      if (i > 0) out << '\n';
      write_heading(out, list[i]->path.empty() ? "(no file)" : sanitize_terminal(list[i]->path), options.color);
    }
    write_row(out, rows[i], widths, options.color);
    if (auto line = commit_line(*list[i]); !line.empty()) {
      // Under the severity column: it reads as part of the match above it.
      out << std::string(2 + widths[0] + 2, ' ');
      if (options.color) out << "\x1b[2m" << line << kReset << '\n';
      else out << line << '\n';
    }
  }
  if (!list.empty()) out << '\n';
}

std::string advisory_text(const findings::DependencyDetail& d) {
  std::string text = d.advisory_id;
  if (!d.aliases.empty()) {
    text += " (";
    for (std::size_t i = 0; i < d.aliases.size(); ++i) text += (i ? ", " : "") + d.aliases[i];
    text += ')';
  }
  return text;
}

/// Where the severity came from: "cvss_v3", "alias GHSA-x", "none".
std::string level_from(const findings::DependencyDetail& d) {
  if (d.severity_source.empty()) return "none";
  if (d.severity_source == "alias" && !d.severity_record.empty())
    return "alias " + sanitize_terminal(d.severity_record);
  return d.severity_source;
}

/// "2.0.1", "2.0.1, leaves GHSA-x open", "no fix".
std::string fix_text(const findings::PackageGroup& g) {
  const auto& d = g.detail();
  if (d.fix_version.empty()) return "no fix";
  std::string text = sanitize_terminal(d.fix_version);
  if (g.still_open.empty()) return text;
  text += ", leaves ";
  constexpr std::size_t kShown = 2;
  for (std::size_t i = 0; i < g.still_open.size() && i < kShown; ++i)
    text += (i ? ", " : "") + sanitize_terminal(g.still_open[i]);
  if (g.still_open.size() > kShown) text += " +" + std::to_string(g.still_open.size() - kShown);
  return text + " open";
}

/// One row per vulnerable package, version and lockfile: what to upgrade to. Sorted by severity,
/// then name.
void write_dependency_groups(std::ostream& out, const std::vector<const Finding*>& list, const Options& options) {
  const auto groups = findings::group_dependencies(list);
  write_heading(out, "Vulnerable dependencies", options.color);
  out << '\n';
  std::vector<Row> rows;
  rows.push_back({{"SEVERITY", {}}, {"PACKAGE", {}}, {"INSTALLED", {}}, {"ECOSYSTEM", {}}, {"ADVISORIES", {}},
                  {"UPGRADE TO", {}}, {"TYPE", {}}, {"LOCATION", {}}});
  std::size_t fixes_all = 0, partial = 0, none = 0;
  for (const auto& g : groups) {
    const auto& d = g.detail();
    const Finding& f = g.first();
    std::string location = d.lockfile.empty() ? f.path : d.lockfile;
    if (f.line > 0) location += ':' + std::to_string(f.line);
    std::string type = !d.direct_known ? "unknown" : d.direct ? "direct" : "transitive";
    if (d.fix_version.empty()) ++none;
    else if (g.still_open.empty()) ++fixes_all;
    else ++partial;
    rows.push_back({severity_cell(g.highest),
                    {sanitize_terminal(d.package), {}},
                    {sanitize_terminal(d.version), {}},
                    {sanitize_terminal(d.ecosystem), {}},
                    {std::to_string(g.advisories.size()), {}},
                    {fix_text(g), {}},
                    {type, {}},
                    {sanitize_terminal(location), {}}});
  }
  auto widths = column_widths(rows);
  for (const auto& row : rows) write_row(out, row, widths, options.color);
  out << '\n' << "  " << groups.size() << (groups.size() == 1 ? " package" : " packages") << " with " << list.size()
      << (list.size() == 1 ? " advisory" : " advisories") << ": " << fixes_all << " fixed by one upgrade, " << partial
      << " partly, " << none << " with no fix" << (options.details ? "" : " (--details lists every advisory)")
      << "\n\n";
}

void write_dependencies(std::ostream& out, const std::vector<const Finding*>& list, const Options& options) {
  // folder -> rows sorted by package, version, advisory: one line per advisory (--details).
  std::map<std::string, std::vector<const Finding*>> by_folder;
  for (const auto* f : list) by_folder[folder_of(*f->dependency)].push_back(f);
  write_heading(out, "Vulnerable dependencies: every advisory", options.color);
  out << '\n';
  for (auto& [folder, rows_in] : by_folder) {
    std::stable_sort(rows_in.begin(), rows_in.end(), [](const Finding* a, const Finding* b) {
      const auto& x = *a->dependency;
      const auto& y = *b->dependency;
      return std::tie(x.package, x.ecosystem, x.version, x.advisory_id, x.lockfile, a->line) <
             std::tie(y.package, y.ecosystem, y.version, y.advisory_id, y.lockfile, b->line);
    });
    write_heading(out, "folder " + sanitize_terminal(folder), options.color);
    std::vector<Row> rows;
    rows.push_back({{"PACKAGE", {}}, {"ECOSYSTEM", {}}, {"INSTALLED", {}}, {"ADVISORY", {}},
                    {"SEVERITY", {}}, {"LEVEL FROM", {}}, {"FIXED", {}}, {"LOCATION", {}}, {"TYPE", {}}});
    for (const auto* f : rows_in) {
      const auto& d = *f->dependency;
      std::string location = d.lockfile.empty() ? f->path : d.lockfile;
      if (f->line > 0) location += ':' + std::to_string(f->line);
      std::string type = !d.direct_known ? "unknown" : d.direct ? "direct" : "transitive";
      rows.push_back({{sanitize_terminal(d.package), {}},
                      {sanitize_terminal(d.ecosystem), {}},
                      {sanitize_terminal(d.version), {}},
                      {sanitize_terminal(advisory_text(d)), {}},
                      severity_cell(f->severity),
                      {level_from(d), {}},
                      {d.fixed_version.empty() ? "no fix yet" : sanitize_terminal(d.fixed_version), {}},
                      {sanitize_terminal(location), {}},
                      {type, {}}});
    }
    auto widths = column_widths(rows);
    for (const auto& row : rows) write_row(out, row, widths, options.color);
    out << '\n';
  }
}

/// One section per external control: "path:line  rule  SEVERITY  message".
void write_external(std::ostream& out, const std::vector<const Finding*>& list, const Options& options) {
  std::map<std::string, std::vector<const Finding*>> by_control;
  for (const auto* f : list) by_control[f->control].push_back(f);
  for (const auto& [control, items] : by_control) {
    std::string heading = sanitize_terminal(control);
    if (auto label = tool_label(*items.front()); label != heading) heading += " (" + label + ")";
    write_heading(out, heading, options.color);
    std::vector<Row> rows;
    for (const auto* f : items) {
      std::string where = f->path.empty() ? "(no file)" : sanitize_terminal(f->path);
      if (f->line > 0) where += ':' + std::to_string(f->line);
      std::string message = f->description.empty() ? f->rule_name : f->description;
      rows.push_back({{where, {}},
                      {sanitize_terminal(f->rule_id), {}},
                      severity_cell(f->severity),
                      {truncate_utf8(sanitize_terminal(message), 200), {}}});
    }
    auto widths = column_widths(rows);
    for (const auto& row : rows) write_row(out, row, widths, options.color);
    out << '\n';
  }
}

/// The controls whose results are missing (errored, with the reason) or that did not apply.
void write_control_issues(std::ostream& out, const findings::ScanResult& result, const Options& options) {
  if (result.errored_controls.empty() && result.skipped_controls.empty()) return;
  write_heading(out, "Controls", options.color);
  for (const auto& issue : result.errored_controls) {
    std::string_view tag = options.color ? "\x1b[1;31merrored\x1b[0m" : "errored";
    out << "  " << tag << "  " << describe_issue(issue, "did not run") << "; its findings are missing\n";
  }
  for (const auto& issue : result.skipped_controls) {
    std::string_view tag = options.color ? "\x1b[2mskipped\x1b[0m" : "skipped";
    out << "  " << tag << "  " << describe_issue(issue, "skipped") << '\n';
  }
  out << '\n';
}

std::string human_bytes(std::uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  constexpr std::array<const char*, 4> kUnits = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024.0;
  std::size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < kUnits.size()) value /= 1024.0, ++unit;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", value, kUnits[unit]);
  return buf;
}

void write_summary(std::ostream& out, const findings::ScanResult& result,
                   const std::vector<const Finding*>& list, const Options& options) {
  if (!result.warnings.empty()) {
    write_heading(out, "Warnings", options.color);
    for (const auto& w : result.warnings) out << "  " << sanitize_terminal(w) << '\n';
    out << '\n';
  }
  write_control_issues(out, result, options);
  auto counts = count_by_severity(list);
  std::string by_severity;
  for (int s = static_cast<int>(Severity::critical); s >= 0; --s) {
    if (counts[static_cast<std::size_t>(s)] == 0) continue;
    std::string part = std::to_string(counts[static_cast<std::size_t>(s)]) + ' ' +
                       std::string(findings::to_string(static_cast<Severity>(s)));
    if (!by_severity.empty()) by_severity += ", ";
    by_severity += options.color ? std::string(severity_color(static_cast<Severity>(s))) + part +
                                       std::string(kReset)
                                 : part;
  }
  const auto& st = result.stats;
  long long ms = duration_ms(result.start_time, result.end_time);
  char duration[32];
  std::snprintf(duration, sizeof duration, "%lld.%02lld s", ms / 1000, (ms % 1000) / 10);
  write_heading(out, "Summary", options.color);
  out << "  Findings:   " << list.size();
  if (!by_severity.empty()) out << " (" << by_severity << ')';
  out << '\n';
  if (!list.empty()) {
    std::array<std::size_t, 3> by{};
    for (const auto* f : list) ++by[static_cast<std::size_t>(f->confidence)];
    out << "  Confidence: " << by[2] << " high, " << by[1] << " medium, " << by[0] << " low\n";
  }
  out << "  Scanned:    " << st.files_scanned << (st.files_scanned == 1 ? " file, " : " files, ")
      << human_bytes(st.bytes_scanned) << " (" << st.bytes_scanned << " bytes)";
  // History scans only: a scan of a working tree walks no commit and has no verdict cache.
  if (st.commits_scanned > 0) out << ", " << st.commits_scanned << (st.commits_scanned == 1 ? " commit" : " commits");
  if (st.blobs_cached > 0) out << ", " << st.blobs_cached << (st.blobs_cached == 1 ? " cached blob" : " cached blobs");
  out << '\n';
  out << "  Skipped:    " << st.skipped_binary << " binary, " << st.skipped_too_large << " too large, "
      << st.skipped_excluded << " excluded, " << st.skipped_symlinks << " symlinks, " << st.unreadable
      << " unreadable\n";
  out << "  Suppressed: " << st.suppressed << '\n';
  if (!result.ignored.empty()) {
    std::size_t fp = 0;
    for (const auto& f : result.ignored) fp += f.suppression && f.suppression->reason == "false_positive";
    out << "  Ignored:    " << result.ignored.size() << " (" << fp << " false positive, " << result.ignored.size() - fp
        << " accepted risk" << (options.show_ignored ? ")" : "; --show-ignored lists them)") << '\n';
  }
  out << "  Duration:   " << duration << '\n';
}

/// --show-ignored: what the ignores file or the baseline dismissed, with the entry that did it.
void write_ignored(std::ostream& out, const findings::ScanResult& result, const Options& options) {
  if (!options.show_ignored || result.ignored.empty()) return;
  write_heading(out, "Ignored", options.color);
  for (const auto& f : result.ignored) {
    out << "  " << sanitize_terminal(f.path);
    if (f.line > 0) out << ':' << f.line;
    out << "  " << sanitize_terminal(f.rule_id) << "  " << findings::to_string(f.severity);
    if (f.suppression) {
      const auto& s = *f.suppression;
      out << "  " << (s.reason == "accepted_risk" ? "accepted risk" : "false positive") << " ("
          << sanitize_terminal(s.source) << (s.author.empty() ? "" : ", " + sanitize_terminal(s.author))
          << (s.expires.empty() ? "" : ", until " + s.expires) << ')';
      if (!s.comment.empty()) out << ": " << sanitize_terminal(s.comment);
    }
    out << '\n';
  }
  out << '\n';
}

}  // namespace

void write_text(std::ostream& out, const findings::ScanResult& result, const Options& options) {
  auto list = sorted_findings(result);
  std::vector<const Finding*> matches, dependencies, external;
  for (const auto* f : list) (is_dependency(*f) ? dependencies : is_external(*f) ? external : matches).push_back(f);
  if (list.empty()) out << "No findings.\n\n";
  write_matches(out, matches, options);
  if (!dependencies.empty()) {
    write_dependency_groups(out, dependencies, options);
    if (options.details) write_dependencies(out, dependencies, options);
  }
  write_external(out, external, options);
  write_ignored(out, result, options);
  write_summary(out, result, list, options);
}

}  // namespace agent::report
