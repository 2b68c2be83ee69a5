#include "agent/controls/secrets/gitleaks_ignore.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <tuple>

namespace agent::controls::secrets {
namespace {

std::string_view strip(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string_view relative(std::string_view path) {
  while (path.substr(0, 2) == "./") path.remove_prefix(2);
  return path;
}

bool is_sha(std::string_view s) {
  return s.size() >= 7 && s.size() <= 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

std::vector<GitleaksIgnoreEntry> parse_gitleaks_ignore(std::string_view text, const std::string& file,
                                                       std::vector<std::string>& warnings) {
  std::vector<GitleaksIgnoreEntry> out;
  int number = 0;
  for (std::size_t pos = 0; pos <= text.size();) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = strip(text.substr(pos, nl - pos));
    pos = nl + 1;
    ++number;
    if (line.empty() || line.front() == '#') continue;
    // From the right: line number, rule id, then the path (which may hold ':'), maybe a commit first.
    const std::size_t c1 = line.rfind(':');
    const std::size_t c2 = c1 == std::string_view::npos || c1 == 0 ? std::string_view::npos : line.rfind(':', c1 - 1);
    std::string_view digits = c1 == std::string_view::npos ? "" : line.substr(c1 + 1);
    if (c2 == std::string_view::npos || digits.empty() ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) || digits.size() > 9) {
      warnings.push_back(file + ":" + std::to_string(number) +
                         ": not a gitleaks fingerprint (expected [commit:]path:rule:line): ignored");
      continue;
    }
    GitleaksIgnoreEntry e;
    e.line = std::stoi(std::string(digits));
    e.rule = std::string(line.substr(c2 + 1, c1 - c2 - 1));
    std::string_view rest = line.substr(0, c2);
    if (const std::size_t c3 = rest.find(':'); c3 != std::string_view::npos && is_sha(rest.substr(0, c3))) {
      e.commit = std::string(rest.substr(0, c3));
      rest = rest.substr(c3 + 1);
    }
    e.path = std::string(relative(rest));
    if (e.path.empty() || e.rule.empty()) {
      warnings.push_back(file + ":" + std::to_string(number) + ": empty path or rule: ignored");
      continue;
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::size_t apply_gitleaks_ignore(const std::vector<GitleaksIgnoreEntry>& entries,
                                  std::vector<findings::Finding>& findings) {
  if (entries.empty()) return 0;
  std::set<std::tuple<std::string_view, std::string_view, int>> any_commit;
  for (const auto& e : entries)
    if (e.commit.empty()) any_commit.emplace(e.path, e.rule, e.line);
  const std::size_t before = findings.size();
  std::erase_if(findings, [&](const findings::Finding& f) {
    if (f.control != "secrets") return false;
    const std::string_view path = relative(f.path);
    if (any_commit.count({path, f.rule_id, f.line})) return true;
    return std::any_of(entries.begin(), entries.end(), [&](const GitleaksIgnoreEntry& e) {
      return !e.commit.empty() && e.line == f.line && e.rule == f.rule_id && e.path == path && !f.commit.empty() &&
             (f.commit.rfind(e.commit, 0) == 0 || e.commit.rfind(f.commit, 0) == 0);
    });
  });
  return before - findings.size();
}

}  // namespace agent::controls::secrets
