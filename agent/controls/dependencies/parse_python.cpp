// requirements*.txt: the pinned requirements (`==`, `===`) of pip's format, following `-r` includes.
//
// Line handling follows pip: backslash continuations are joined (not after a comment line), a '#'
// at the start or after whitespace starts a comment, per-requirement options (`--hash=...`) start
// at the first token beginning with '-'. Every requirement is a package of the inventory: an
// unpinned one has no version (its specifiers are its `requirement`), a URL or path one (also
// after `-e`) has its source; the unpinned ones are counted in one warning per file (advisories
// are not matched against them). Unparsable lines get a warning each.
#include <cctype>
#include <filesystem>
#include <set>
#include <vector>

#include "agent/controls/dependencies/parsers.h"

namespace agent::controls::dependencies::detail {
namespace {

constexpr const char* kPyPI = "PyPI";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }
bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// A comment line in pip's sense: '#' first, after optional whitespace.
bool is_comment_line(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size() && is_space(line[i])) ++i;
  return i < line.size() && line[i] == '#';
}

// Removes a comment: '#' at the start of the line or preceded by whitespace.
std::string_view strip_comment(std::string_view line) {
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '#' && (i == 0 || is_space(line[i - 1]))) return line.substr(0, i);
  }
  return line;
}

struct LogicalLine {
  int number;
  std::string text;
};

// Joins backslash continuations; the number is the first physical line's.
std::vector<LogicalLine> logical_lines(std::string_view content) {
  std::vector<LogicalLine> out;
  LineReader reader(content);
  std::string_view line;
  std::string pending;
  int pending_line = 0;
  bool joining = false;
  while (reader.next(line)) {
    bool continues = !line.empty() && line.back() == '\\' && !is_comment_line(line);
    if (continues) {
      if (!joining) pending_line = reader.number();
      joining = true;
      pending.append(line.substr(0, line.size() - 1));
      continue;
    }
    if (joining) {
      if (!is_comment_line(line)) pending.append(line);
      out.push_back({pending_line, std::move(pending)});
      pending.clear();
      joining = false;
    } else {
      out.push_back({reader.number(), std::string(line)});
    }
  }
  if (joining) out.push_back({pending_line, std::move(pending)});
  return out;
}

enum class ReqResult { pinned, unpinned, invalid };

struct Requirement {
  std::string name;
  std::string version;
  std::string specifiers;  // as written, for unpinned ones (">= 4.1.1"); empty: any version
  std::string url;         // "name @ url"
  std::string problem;     // for invalid ones
};

// "name [extras] (spec, spec) ; marker" -> pinned version if exactly pinned.
ReqResult parse_requirement(std::string_view text, Requirement& req) {
  std::size_t semi = text.find(';');
  if (semi != std::string_view::npos) text = text.substr(0, semi);
  text = trim(text);
  std::size_t i = 0;
  while (i < text.size() && is_name_char(text[i])) ++i;
  req.name = std::string(text.substr(0, i));
  if (req.name.empty() || !std::isalnum(static_cast<unsigned char>(req.name[0]))) {
    req.problem = "cannot read a requirement name";
    return ReqResult::invalid;
  }
  std::string_view rest = trim(text.substr(i));
  if (!rest.empty() && rest[0] == '[') {
    std::size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      req.problem = "unclosed extras '['";
      return ReqResult::invalid;
    }
    rest = trim(rest.substr(close + 1));
  }
  if (!rest.empty() && rest[0] == '@') {
    req.url = std::string(trim(rest.substr(1)));
    return ReqResult::unpinned;
  }
  if (rest.empty()) return ReqResult::unpinned;  // any version
  if (rest.front() == '(' && rest.back() == ')') rest = trim(rest.substr(1, rest.size() - 2));
  req.specifiers = std::string(rest);
  bool pinned = false;
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string_view spec = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    std::string_view op;
    for (std::string_view candidate : {"===", "==", "!=", "~=", ">=", "<=", ">", "<"}) {
      if (spec.rfind(candidate, 0) == 0) {
        op = candidate;
        break;
      }
    }
    if (op.empty()) {
      req.problem = "expected a version specifier (==, >=, ...) after the name";
      return ReqResult::invalid;
    }
    std::string_view version = trim(spec.substr(op.size()));
    if (version.find("${") != std::string_view::npos) {
      req.problem = "version comes from an environment variable, cannot be checked";
      return ReqResult::invalid;
    }
    bool valid = !version.empty();
    for (char c : version) {
      valid = valid && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ||
                        c == '_' || c == '+' || c == '!' || c == '*');
    }
    if (!valid) {
      req.problem = version.empty() ? "missing version after '" + std::string(op) + "'"
                                    : "invalid version '" + std::string(version) + "'";
      return ReqResult::invalid;
    }
    if ((op == "==" && version.find('*') == std::string_view::npos) || op == "===") {
      req.version = std::string(version);
      pinned = true;
    }
  }
  if (pinned) req.specifiers.clear();
  return pinned ? ReqResult::pinned : ReqResult::unpinned;
}

// The file name of a URL or path (no query, fragment or trailing slash).
std::string_view last_segment(std::string_view target) {
  target = target.substr(0, target.find_first_of("?#"));
  while (target.size() > 1 && target.back() == '/') target.remove_suffix(1);
  auto slash = target.find_last_of('/');
  return slash == std::string_view::npos ? target : target.substr(slash + 1);
}

// A URL, path or `-e` target as a package: the name from "#egg=name", a wheel or sdist file
// name ("numpy-1.9.2-cp34-none-win32.whl": with its version) or the last path segment.
Package direct_reference(std::string_view target, std::string name, int line) {
  Package p = make_package({}, {}, "PyPI", line);
  std::string source(target);
  if (auto egg = target.find("#egg="); egg != std::string_view::npos) {
    std::string_view e = target.substr(egg + 5);
    e = e.substr(0, e.find('&'));
    if (name.empty()) name = std::string(e);
    source = std::string(target.substr(0, egg));
  }
  bool git = target.starts_with("git+") || target.starts_with("git://");
  bool url = !git && target.find("://") != std::string_view::npos && !target.starts_with("file:");
  p.source_kind = git ? "git" : url ? "url" : "path";
  if (git) {  // pip's "url@rev": the revision after the repository path
    auto slash = source.rfind('/');
    auto at = source.find('@', slash == std::string::npos ? 0 : slash);
    if (at != std::string::npos) source[at] = '#';
  }
  p.source = std::move(source);
  std::string_view file = last_segment(target);
  for (std::string_view ext : {".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz"}) {
    if (!file.ends_with(ext)) continue;
    std::string_view stem = file.substr(0, file.size() - ext.size());
    auto dash = stem.find('-');
    if (dash != std::string_view::npos && dash > 0) {
      if (name.empty()) name = std::string(stem.substr(0, dash));
      std::string_view version = stem.substr(dash + 1);
      if (ext == ".whl") version = version.substr(0, version.find('-'));  // name-version-tags.whl
      if (!version.empty() && std::isdigit(static_cast<unsigned char>(version[0]))) p.version = std::string(version);
    }
    break;
  }
  if (name.empty()) {
    std::string_view stem = file;
    if (stem.ends_with(".git")) stem.remove_suffix(4);
    name = stem.empty() || stem == "." || stem == ".." || stem == "~" ? std::string(target) : std::string(stem);
  }
  p.name = pypi_normalize(name);
  return p;
}

bool is_path(std::string_view text) {
  return !text.empty() && (text[0] == '.' || text[0] == '/' || text[0] == '~' || text.starts_with("file:"));
}

// A requirement that is only a URL: a scheme ("https", "git+ssh") right before "://".
bool is_bare_url(std::string_view text) {
  std::size_t sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) return false;
  for (char c : text.substr(0, sep)) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '.' && c != '-') return false;
  }
  return true;
}

// "-r file", "-rfile", "--requirement file", "--requirement=file" -> file; empty when not an include.
std::string include_target(std::string_view line) {
  for (std::string_view opt : {"--requirement", "-r"}) {
    if (line.rfind(opt, 0) != 0) continue;
    std::string_view rest = line.substr(opt.size());
    if (opt[1] == '-' && !rest.empty() && rest[0] != '=' && !is_space(rest[0])) return {};
    if (!rest.empty() && rest[0] == '=') rest.remove_prefix(1);
    return std::string(trim(rest));
  }
  return {};
}

// "-e target", "--editable target", "--editable=target" -> target; empty when not an editable.
std::string editable_target(std::string_view line) {
  for (std::string_view opt : {"--editable", "-e"}) {
    if (!line.starts_with(opt)) continue;
    std::string_view rest = line.substr(opt.size());
    if (!rest.empty() && rest[0] == '=') rest.remove_prefix(1);
    else if (opt[1] == '-' && !rest.empty() && !is_space(rest[0])) return {};
    rest = trim(rest);
    return std::string(rest.substr(0, rest.find_first_of(" \t")));
  }
  return {};
}

class RequirementsParser {
 public:
  RequirementsParser(const ParseOptions& options, ParsedLockfile& out) : options_(options), out_(out) {}

  void parse(const std::string& file, std::string_view content, bool root, int depth) {
    visited_.insert(std::filesystem::path(file).lexically_normal().generic_string());
    std::vector<std::string> unpinned;  // the first few names, for the summary warning
    std::size_t unpinned_count = 0;
    for (const LogicalLine& logical : logical_lines(content)) {
      std::string_view line = trim(strip_comment(logical.text));
      if (line.empty()) continue;
      if (line[0] == '-') {
        std::string target = include_target(line);
        if (!target.empty()) include(file, logical.number, target, depth);
        if (std::string editable = editable_target(line); !editable.empty()) {
          if (is_bare_url(editable) || is_path(editable)) add(direct_reference(editable, {}, logical.number), file, root);
        }
        continue;  // other options (-c, -i, --hash ...) do not declare packages
      }
      // Options after the requirement start at the first token beginning with '-'.
      std::size_t cut = line.size();
      for (std::size_t i = 1; i < line.size(); ++i) {
        if (line[i] == '-' && is_space(line[i - 1])) {
          cut = i;
          break;
        }
      }
      std::string_view requirement = trim(line.substr(0, cut));
      if (is_bare_url(requirement) || is_path(requirement)) {  // "https://...", "git+https://host/x.git@v1#egg=x"
        add(direct_reference(requirement, {}, logical.number), file, root);
        continue;
      }
      Requirement req;
      switch (parse_requirement(requirement, req)) {
        case ReqResult::pinned:
          add(make_package(pypi_normalize(req.name), req.version, kPyPI, logical.number), file, root);
          break;
        case ReqResult::unpinned:
          if (!req.url.empty()) {
            add(direct_reference(req.url, req.name, logical.number), file, root);
            break;
          }
          if (++unpinned_count <= 5) unpinned.push_back(req.name.substr(0, 80));
          {
            Package p = make_package(pypi_normalize(req.name), {}, kPyPI, logical.number);
            p.requirement = req.specifiers;
            add(std::move(p), file, root);
          }
          break;
        case ReqResult::invalid:
          warn(out_, file, logical.number, "'" + std::string(requirement) + "': " + req.problem);
          break;
      }
    }
    if (unpinned_count > 0) {
      std::string names;
      for (std::size_t i = 0; i < unpinned.size(); ++i) names += (i ? ", " : "") + unpinned[i];
      if (unpinned_count > unpinned.size()) names += ", ...";
      warn(out_, file, 0,
           std::to_string(unpinned_count) + " requirement(s) not pinned with '==', not checked: " + names);
    }
  }

 private:
  void add(Package p, const std::string& file, bool root) {
    if (!root) p.declared_in = file;
    out_.packages.push_back(std::move(p));
  }

  void include(const std::string& from, int line, const std::string& target, int depth) {
    if (target.find("://") != std::string::npos) {
      warn(out_, from, line, "remote requirements file '" + target + "' is not fetched");
      return;
    }
    std::filesystem::path resolved(target);
    if (resolved.is_relative()) resolved = std::filesystem::path(from).parent_path() / resolved;
    std::string name = resolved.lexically_normal().generic_string();
    if (visited_.count(name)) return;  // already read (or an include cycle)
    if (depth + 1 > options_.max_include_depth) {
      warn(out_, from, line, "'" + target + "' is nested too deeply, not read");
      return;
    }
    std::optional<std::string> text =
        options_.read_include ? options_.read_include(name) : read_include_file(name);
    if (!text) {
      warn(out_, from, line, "cannot read included file '" + target + "'");
      return;
    }
    parse(name, *text, false, depth + 1);
  }

  const ParseOptions& options_;
  ParsedLockfile& out_;
  std::set<std::string> visited_;
};

}  // namespace

ParsedLockfile parse_requirements(const std::string& path, std::string_view content,
                                  const ParseOptions& options) {
  ParsedLockfile out;
  out.format = "requirements.txt";
  RequirementsParser(options, out).parse(path, content, true, 0);
  return out;
}

}  // namespace agent::controls::dependencies::detail
