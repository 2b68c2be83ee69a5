// Helpers shared by the lockfile parsers (declared in parsers.h).
#include <cctype>
#include <algorithm>

#include "agent/controls/dependencies/parsers.h"
#include "agent/util/error.h"

namespace agent::controls::dependencies::detail {

namespace {

constexpr std::size_t kMaxMessage = 400;  // a 100 MB "name" must not become a 100 MB message
constexpr std::size_t kMaxWarnings = 100;

std::string shorten(const std::string& message) {
  if (message.size() <= kMaxMessage) return message;
  return message.substr(0, kMaxMessage) + "...";
}

}  // namespace

void fail(const std::string& path, int line, int col, const std::string& message) {
  throw util::UsageError(util::at(path, line, col, shorten(message)));
}

std::pair<int, int> line_col_at(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  std::string_view before = text.substr(0, offset);
  int line = 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
  std::size_t last_nl = before.rfind('\n');
  std::size_t col = last_nl == std::string_view::npos ? offset + 1 : offset - last_nl;
  return {line, static_cast<int>(col)};
}

std::string_view trim(std::string_view text) {
  constexpr std::string_view ws = " \t\r\n";
  std::size_t b = text.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  std::size_t e = text.find_last_not_of(ws);
  return text.substr(b, e - b + 1);
}

bool is_blank(std::string_view text) { return trim(text).empty(); }

bool LineReader::next(std::string_view& line) {
  if (pos_ >= text_.size()) return false;
  std::size_t nl = text_.find('\n', pos_);
  std::size_t end = nl == std::string_view::npos ? text_.size() : nl;
  line = text_.substr(pos_, end - pos_);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  pos_ = nl == std::string_view::npos ? text_.size() : nl + 1;
  ++number_;
  return true;
}

std::string pypi_normalize(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  bool in_sep = false;
  for (char c : name) {
    if (c == '-' || c == '_' || c == '.') {
      if (!in_sep) out += '-';
      in_sep = true;
      continue;
    }
    in_sep = false;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

void warn(ParsedLockfile& out, const std::string& path, int line, const std::string& message) {
  if (out.warnings.size() < kMaxWarnings) {
    out.warnings.push_back(util::at(path, line, 0, shorten(message)));
  } else if (out.warnings.size() == kMaxWarnings) {
    out.warnings.push_back(util::at(path, 0, 0, "more warnings not shown"));
  }
}

Package make_package(std::string name, std::string version, const char* ecosystem, int line,
                     bool direct_known, bool direct) {
  Package p;
  p.name = std::move(name);
  p.version = std::move(version);
  p.ecosystem = ecosystem;
  p.line = line;
  p.direct_known = direct_known;
  p.direct = direct_known && direct;
  return p;
}

namespace {
bool is_hex(std::string_view s) {
  if (s.size() < 7) return false;
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}
}  // namespace

// (declared in parsers.h) The source of a range or URL ("git+ssh://...#sha", "https://codeload.github.com/o/r/tar.gz/sha",
// "file:../dir", "https://host/x.tgz"); kind empty: the registry.
NpmSource npm_source(std::string_view spec) {
  for (std::string_view git : {"git+", "git:", "git@", "ssh:", "github:", "gitlab:", "bitbucket:"}) {
    if (spec.starts_with(git)) return {"git", std::string(spec)};
  }
  for (std::string_view local : {"file:", "link:", "portal:", "workspace:"}) {
    if (spec.starts_with(local)) return {"path", std::string(spec.substr(local.size()))};
  }
  if (!spec.starts_with("http://") && !spec.starts_with("https://")) return {};
  constexpr std::string_view kCodeload = "https://codeload.github.com/";
  if (spec.starts_with(kCodeload)) {  // o/r/tar.gz/sha: GitHub's archive of one commit
    std::string_view rest = spec.substr(kCodeload.size());
    auto tar = rest.find("/tar.gz/");
    if (tar != std::string_view::npos)
      return {"git", "https://github.com/" + std::string(rest.substr(0, tar)) + ".git#" +
                         std::string(rest.substr(tar + 8))};
  }
  if (auto archive = spec.find("/repository/archive.tar.gz?ref="); archive != std::string_view::npos)
    return {"git", std::string(spec.substr(0, archive)) + ".git#" + std::string(spec.substr(archive + 31))};
  std::string_view no_fragment = spec.substr(0, spec.find('#'));
  if (no_fragment.find("/-/") != std::string_view::npos) return {};  // a registry tarball
  auto hash = spec.find('#');
  if (hash != std::string_view::npos) {
    std::string_view fragment = spec.substr(hash + 1);
    if (fragment.starts_with("commit=") || fragment.starts_with("commit:")) fragment.remove_prefix(7);
    if (is_hex(fragment) || no_fragment.ends_with(".git"))
      return {"git", std::string(no_fragment) + "#" + std::string(fragment)};
  }
  if (no_fragment.ends_with(".git")) return {"git", std::string(spec)};
  return {"url", std::string(spec)};
}

}  // namespace agent::controls::dependencies::detail
