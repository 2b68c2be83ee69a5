#include "agent/report/common.h"
#include "agent/report/time_format.h"
#include "agent/util/redact.h"

#include <algorithm>
#include <cctype>
#include <tuple>

namespace agent::report {

std::vector<const findings::Finding*> sorted_findings(const findings::ScanResult& result) {
  std::vector<const findings::Finding*> list;
  list.reserve(result.findings.size());
  for (const auto& f : result.findings) list.push_back(&f);
  // Same key as findings::sort_findings, on pointers: the result is not copied.
  std::stable_sort(list.begin(), list.end(), [](const findings::Finding* a, const findings::Finding* b) {
    return std::tie(a->path, a->line, a->column, a->rule_id, a->fingerprint) <
           std::tie(b->path, b->line, b->column, b->rule_id, b->fingerprint);
  });
  return list;
}

bool is_dependency(const findings::Finding& finding) { return finding.dependency.has_value(); }

std::string folder_of(const findings::DependencyDetail& dependency) {
  if (dependency.folder.empty()) return "/";
  return dependency.folder.front() == '/' ? dependency.folder : '/' + dependency.folder;
}

std::string shown_secret(const findings::Finding& finding, const Options& options) {
  if (!finding.secret) return "";
  if (options.show_secrets && !finding.secret->raw.empty()) return finding.secret->raw;
  return finding.secret->redacted;
}

std::array<std::size_t, 6> count_by_severity(const std::vector<const findings::Finding*>& list) {
  std::array<std::size_t, 6> counts{};
  for (const auto* f : list) ++counts[static_cast<std::size_t>(f->severity)];
  return counts;
}

std::string first_web_reference(const findings::Finding& finding) {
  for (const auto& ref : finding.references)
    if (ref.rfind("https://", 0) == 0 || ref.rfind("http://", 0) == 0) return ref;
  return "";
}

std::string uri_encode_path(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(path.size());
  for (char ch : path) {
    auto c = static_cast<unsigned char>(ch);
    // RFC 3986 unreserved characters plus the sub-delims and ':' '@' allowed in a segment,
    // minus ':' (a first segment "c:" would read as a scheme).
    bool keep = std::isalnum(c) || std::string_view("-._~!$&'()*+,;=@/").find(ch) != std::string_view::npos;
    if (keep && c < 0x80) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string truncate_utf8(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  constexpr std::string_view kEllipsis = "\xE2\x80\xA6";
  std::size_t cut = max_bytes > kEllipsis.size() ? max_bytes - kEllipsis.size() : 0;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + std::string(kEllipsis);
}

std::string markdown_code(std::string_view text) {
  std::string body = sanitize_terminal(text);
  // CommonMark: a code span's fence must be a backtick run longer than any run inside it.
  std::size_t longest = 0, run = 0;
  for (char c : body) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  std::string fence(longest + 1, '`');
  bool pad = body.empty() || body.front() == '`' || body.back() == '`' || body.front() == ' ';
  return fence + (pad ? " " : "") + body + (pad ? " " : "") + fence;
}

void write_json_document(std::ostream& out, const nlohmann::ordered_json& doc) {
  out << doc.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << '\n';
}

std::string cwe_number(std::string_view cwe) {
  if (cwe.size() < 5) return "";
  std::string prefix(cwe.substr(0, 4));
  for (auto& c : prefix) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (prefix != "CWE-") return "";
  std::string_view digits = cwe.substr(4);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return "";
  return std::string(digits);
}

bool is_external(const findings::Finding& finding) { return finding.tool.has_value(); }

bool is_builtin_control(std::string_view control) { return control == "secrets" || control == "dependencies"; }

std::string tool_label(const findings::Finding& finding) {
  if (!finding.tool || finding.tool->tool_name.empty()) return sanitize_terminal(finding.control);
  std::string label = finding.tool->tool_name;
  if (!finding.tool->tool_version.empty()) label += ' ' + finding.tool->tool_version;
  return sanitize_terminal(label);
}

std::string safe_snippet(const findings::Finding& finding, std::size_t max_bytes) {
  if (!finding.tool || finding.tool->snippet.empty()) return "";
  std::string text = util::global_redactor().apply(util::redact_urls(finding.tool->snippet));
  // One flagged line: surrounding whitespace says nothing and breaks table layouts.
  text = sanitize_terminal(text);
  auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  auto last = text.find_last_not_of(" \t\r\n");
  return truncate_utf8(std::string_view(text).substr(first, last - first + 1), max_bytes);
}

std::string commit_text(std::string_view text) {
  std::string line = sanitize_terminal(text.substr(0, text.find_first_of("\r\n")));
  auto first = line.find_first_not_of(' ');
  if (first == std::string::npos) return "";
  return line.substr(first, line.find_last_not_of(' ') - first + 1);
}

std::string commit_author(const findings::CommitDetail& commit) {
  std::string name = commit_text(commit.author_name);
  std::string email = commit_text(commit.author_email);
  if (email.empty()) return name;
  return name.empty() ? '<' + email + '>' : name + " <" + email + '>';
}

std::string describe_issue(const findings::ControlIssue& issue, std::string_view verb) {
  std::string text = sanitize_terminal(issue.control) + ' ' + std::string(verb);
  if (!issue.folder.empty() && issue.folder != "/") text += " in " + sanitize_terminal(issue.folder);
  if (!issue.reason.empty()) text += ": " + sanitize_terminal(util::global_redactor().apply(issue.reason));
  return text;
}

namespace {
nlohmann::ordered_json scanner_json(std::string_view id, std::string_view name, const Options& options) {
  nlohmann::ordered_json j;
  j["id"] = id;
  j["name"] = name;
  j["url"] = "https://www.jit.io/";
  j["version"] = options.tool_version;
  j["vendor"] = {{"name", "Jit"}};
  return j;
}
}  // namespace

nlohmann::ordered_json gitlab_scan(const findings::ScanResult& result, const Options& options, std::string_view type,
                                   std::string_view scanner_id, std::string_view scanner_name) {
  nlohmann::ordered_json scan;
  scan["analyzer"] = scanner_json("jit-agent", "jit-agent", options);
  scan["scanner"] = scanner_json(scanner_id, scanner_name, options);
  scan["type"] = type;
  scan["start_time"] = gitlab_timestamp(result.start_time);
  scan["end_time"] = gitlab_timestamp(result.end_time);
  scan["status"] = "success";
  auto messages = nlohmann::ordered_json::array();
  for (const auto& w : result.warnings)
    if (auto text = sanitize_terminal(w); !text.empty()) messages.push_back({{"level", "warn"}, {"value", text}});
  if (!messages.empty()) scan["messages"] = std::move(messages);
  return scan;
}

void write_gitlab_report(std::ostream& out, const findings::ScanResult& result, const Options& options,
                         std::string_view type, std::string_view scanner_id, std::string_view scanner_name,
                         nlohmann::ordered_json vulnerabilities) {
  nlohmann::ordered_json doc;
  doc["version"] = "15.2.1";
  doc["scan"] = gitlab_scan(result, options, type, scanner_id, scanner_name);
  doc["vulnerabilities"] = std::move(vulnerabilities);
  write_json_document(out, doc);
}

}  // namespace agent::report
