#include "agent/controls/external/convert.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <system_error>
#include <tuple>

#include "agent/controls/external/parsers.h"
#include "agent/util/hash.h"

namespace agent::controls::external {
namespace {

namespace fs = std::filesystem;

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool escapes(const fs::path& rel) {
  if (rel.empty()) return true;
  auto first = rel.begin();
  return first != rel.end() && (*first == ".." || rel.is_absolute());
}

// Lines of the files findings point at, read once per file.
class LineCache {
 public:
  LineCache(fs::path root, std::uint64_t max_size) : root_(std::move(root)), max_size_(max_size) {}
  std::string line(const std::string& rel, int number) {
    if (number <= 0) return "";
    auto [it, inserted] = files_.try_emplace(rel);
    if (inserted) load(rel, it->second);
    const auto& lines = it->second;
    return static_cast<std::size_t>(number) <= lines.size() ? lines[static_cast<std::size_t>(number) - 1] : "";
  }

 private:
  void load(const std::string& rel, std::vector<std::string>& lines) {
    std::error_code ec;
    fs::path file = root_ / rel;
    if (!fs::is_regular_file(file, ec) || fs::file_size(file, ec) > max_size_ || ec) return;
    std::ifstream in(file, std::ios::binary);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      lines.push_back(line);
    }
  }
  fs::path root_;
  std::uint64_t max_size_;
  std::map<std::string, std::vector<std::string>> files_;
};

std::string collapse_whitespace(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::optional<std::string> confine(const fs::path& root, std::string_view reported) {
  if (reported.empty()) return std::nullopt;
  std::error_code ec;
  const fs::path root_abs = fs::absolute(root, ec).lexically_normal();
  fs::path p{std::string(reported)};
  if (p.is_relative()) p = root_abs / p;
  p = p.lexically_normal();
  fs::path rel = p.lexically_relative(root_abs);
  const fs::path root_real = fs::weakly_canonical(root_abs, ec);
  if (escapes(rel) && !ec) rel = p.lexically_relative(root_real);  // the tool printed resolved paths
  if (escapes(rel) || rel == ".") return std::nullopt;
  // A path through a symlink that leads out of the checkout is not the checkout's.
  const fs::path real = fs::weakly_canonical(root_abs / rel, ec);
  if (ec || escapes(real.lexically_relative(root_real))) return std::nullopt;
  std::string out = rel.generic_string();
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out;
}

std::string make_snippet(std::string_view line) {
  std::string text = terminal_safe(line, false);
  auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  auto last = text.find_last_not_of(" \t");
  text = text.substr(first, last - first + 1);
  constexpr std::size_t max = 200;
  if (text.size() > max) {
    std::size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 sequence
    text.resize(cut);
    text += "…";
  }
  return text;
}

Converted convert(std::vector<findings::Finding> raw, const ConvertContext& context) {
  Converted out;
  std::map<std::string, findings::Severity> overrides;
  for (const auto& [key, value] : context.severity) overrides[lower(key)] = value;
  LineCache lines(context.root, context.max_file_size);
  for (auto& f : raw) {
    auto rel = confine(context.root, f.path);
    if (!rel) {
      ++out.dropped;
      continue;
    }
    f.path = *rel;
    f.control = context.control;
    f.commit = context.commit;
    f.rule_id = terminal_safe(f.rule_id, false);
    f.rule_name = terminal_safe(f.rule_name, false);
    f.description = terminal_safe(f.description);
    for (auto& r : f.references) r = terminal_safe(r, false);
    if (!f.tool) f.tool.emplace();
    auto& tool = *f.tool;
    tool.tool_name = terminal_safe(tool.tool_name, false);
    tool.tool_version = terminal_safe(tool.tool_version.empty() ? context.tool_version : tool.tool_version, false);
    tool.original_severity = terminal_safe(tool.original_severity, false);
    tool.help_uri = terminal_safe(tool.help_uri, false);
    if (auto it = overrides.find(lower(tool.original_severity)); it != overrides.end()) f.severity = it->second;
    tool.snippet = make_snippet(lines.line(f.path, f.line));
    out.findings.push_back(std::move(f));
  }
  return out;
}

void dedup_and_fingerprint(std::vector<findings::Finding>& list, std::string_view control) {
  std::stable_sort(list.begin(), list.end(), [](const findings::Finding& a, const findings::Finding& b) {
    return std::tie(a.path, a.line, a.column, a.rule_id) < std::tie(b.path, b.line, b.column, b.rule_id);
  });
  std::set<std::tuple<std::string, std::string, int, int, int, int, std::string>> seen;
  std::vector<findings::Finding> kept;
  kept.reserve(list.size());
  for (auto& f : list)
    if (seen.emplace(f.rule_id, f.path, f.line, f.column, f.end_line, f.end_column, f.description).second)
      kept.push_back(std::move(f));
  std::map<std::tuple<std::string, std::string, std::string>, int> occurrences;
  for (auto& f : kept) {
    std::string snippet = collapse_whitespace(f.tool ? f.tool->snippet : "");
    int index = occurrences[{f.rule_id, f.path, snippet}]++;
    std::string key;
    for (std::string_view part : {control, std::string_view(f.rule_id), std::string_view(f.path), std::string_view(snippet)}) {
      key.append(part);
      key.push_back('\0');
    }
    key += std::to_string(index);
    f.fingerprint = util::sha256_hex(key);
  }
  list = std::move(kept);
}

}  // namespace agent::controls::external
