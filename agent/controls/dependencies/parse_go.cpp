// go.mod: `require` lines and blocks (`// indirect` marks transitive ones), `replace` applied (a
// local directory becomes the module's "path" source), and the Go standard library ("stdlib") at
// the version of the `toolchain` line or a go X.Y.Z line. Before go 1.17 a go.mod lists only some
// of the build's modules: the go.sum beside it (`go.sum`, or `<name>.sum` for `<name>.mod`) adds
// the rest, one per module at its highest version (modules with only a `/go.mod` hash are not built).
#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <vector>

#include "agent/controls/dependencies/parsers.h"
#include "agent/controls/dependencies/version.h"

namespace agent::controls::dependencies::detail {
namespace {

constexpr const char* kGo = "Go";

struct GoLine {
  std::vector<std::string> tokens;
  std::string comment;  // text after "//", trimmed
};

GoLine tokenize(const std::string& path, int number, std::string_view line) {
  GoLine out;
  std::size_t i = 0;
  while (i < line.size()) {
    char c = line[i];
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
      continue;
    }
    if (c == '/' && i + 1 < line.size() && line[i + 1] == '/') {
      out.comment = std::string(trim(line.substr(i + 2)));
      break;
    }
    if (c == '"' || c == '`') {
      std::size_t end = i + 1;
      while (end < line.size() && line[end] != c) end += (c == '"' && line[end] == '\\') ? 2 : 1;
      if (end >= line.size()) fail(path, number, static_cast<int>(i) + 1, "unterminated quoted string");
      out.tokens.emplace_back(line.substr(i + 1, end - i - 1));
      i = end + 1;
      continue;
    }
    if (c == '(' || c == ')') {
      out.tokens.emplace_back(1, c);
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < line.size() && line[end] != ' ' && line[end] != '\t' && line[end] != '\r' &&
           line[end] != '(' && line[end] != ')' &&
           !(line[end] == '/' && end + 1 < line.size() && line[end + 1] == '/')) {
      ++end;
    }
    out.tokens.emplace_back(line.substr(i, end - i));
    i = end;
  }
  return out;
}

bool is_local_path(std::string_view p) {
  return p.rfind("./", 0) == 0 || p.rfind("../", 0) == 0 || p.rfind("/", 0) == 0 || p == "." ||
         p == ".." || p.rfind(".\\", 0) == 0 || p.rfind("..\\", 0) == 0;
}

struct Require {
  std::string path, version;
  bool indirect;
  int line;
};

struct Replacement {
  std::string path, version;  // version empty: a local directory
};

// "1.16", "1.16.3", "1.21rc1" -> true when before 1.17.
bool before_go_1_17(std::string_view go_version) {
  int major = 0, minor = 0;
  std::size_t i = 0;
  // Both numbers stop growing past 1000 (the digits left make the version unreadable: not before
  // 1.17), so a hostile `go 99999999999.1` cannot overflow them.
  while (i < go_version.size() && std::isdigit(static_cast<unsigned char>(go_version[i])) && major < 1000)
    major = major * 10 + (go_version[i++] - '0');
  if (i == 0 || i >= go_version.size() || go_version[i] != '.') return false;
  ++i;
  std::size_t start = i;
  while (i < go_version.size() && std::isdigit(static_cast<unsigned char>(go_version[i])) && minor < 1000)
    minor = minor * 10 + (go_version[i++] - '0');
  if (i == start) return false;
  return major < 1 || (major == 1 && minor < 17);
}

// The modules of a go.sum with code hashes (not only "/go.mod" ones), each at its highest version.
struct SumModule {
  std::string version;
  int line = 0;
};
std::map<std::string, SumModule> sum_modules(std::string_view sum) {
  std::map<std::string, SumModule> out;
  LineReader lines(sum);
  std::string_view raw;
  while (lines.next(raw)) {
    std::string_view line = trim(raw);
    auto sp1 = line.find_first_of(" \t");
    if (sp1 == std::string_view::npos) continue;
    std::string_view name = line.substr(0, sp1);
    std::string_view rest = trim(line.substr(sp1));
    std::string_view version = rest.substr(0, rest.find_first_of(" \t"));
    if (version.empty() || version == rest || version.ends_with("/go.mod")) continue;
    auto [it, inserted] = out.try_emplace(std::string(name), SumModule{std::string(version), lines.number()});
    if (!inserted && compare_versions(Scheme::semver, version, it->second.version) > 0)
      it->second = {std::string(version), lines.number()};
  }
  return out;
}

ParsedLockfile parse_mod(const std::string& path, std::string_view content, const ParseOptions* options) {
  static const char* const kDirectives[] = {"module", "go", "toolchain", "godebug", "require", "exclude",
                                            "replace", "retract", "tool", "ignore"};
  ParsedLockfile out;
  out.format = "go.mod";
  std::vector<Require> requires_;
  std::map<std::pair<std::string, std::string>, Replacement> replaces;
  std::string go_version, toolchain;
  int go_line = 0, toolchain_line = 0;
  std::string block;  // directive of the open "( ... )" block

  auto handle = [&](const std::string& verb, const std::vector<std::string>& args, const GoLine& l,
                    int number) {
    if (verb == "require") {
      if (args.size() != 2) fail(path, number, 1, "expected 'require module/path version'");
      bool indirect = l.comment.rfind("indirect", 0) == 0;
      requires_.push_back({args[0], args[1], indirect, number});
    } else if (verb == "replace") {
      std::size_t arrow = 0;
      while (arrow < args.size() && args[arrow] != "=>") ++arrow;
      if (arrow == 0 || arrow > 2 || arrow == args.size() || args.size() - arrow - 1 < 1 ||
          args.size() - arrow - 1 > 2) {
        fail(path, number, 1, "expected 'replace module [version] => module version' or '=> ./dir'");
      }
      std::string old_version = arrow == 2 ? args[1] : "";
      Replacement r{args[arrow + 1], args.size() - arrow - 1 == 2 ? args[arrow + 2] : ""};
      if (is_local_path(r.path)) r.version.clear();
      replaces[{args[0], old_version}] = r;
    } else if (verb == "go") {
      if (args.size() != 1) fail(path, number, 1, "expected 'go 1.xx'");
      go_version = args[0];
      go_line = number;
    } else if (verb == "toolchain") {
      if (args.size() != 1) fail(path, number, 1, "expected 'toolchain go1.xx.y'");
      toolchain = args[0];
      toolchain_line = number;
    }
  };

  LineReader lines(content);
  std::string_view raw;
  while (lines.next(raw)) {
    GoLine l = tokenize(path, lines.number(), raw);
    if (l.tokens.empty()) continue;
    if (!block.empty()) {
      if (l.tokens.size() == 1 && l.tokens[0] == ")") {
        block.clear();
        continue;
      }
      handle(block, l.tokens, l, lines.number());
      continue;
    }
    const std::string& verb = l.tokens[0];
    bool known = false;
    for (const char* d : kDirectives) known = known || verb == d;
    if (!known) fail(path, lines.number(), 1, "unknown directive '" + verb + "' (not a go.mod file?)");
    std::vector<std::string> args(l.tokens.begin() + 1, l.tokens.end());
    if (!args.empty() && args[0] == "(") {
      if (args.size() == 2 && args[1] == ")") continue;  // "require ()"
      if (args.size() != 1) fail(path, lines.number(), 1, "expected a newline after '('");
      block = verb;
      continue;
    }
    handle(verb, args, l, lines.number());
  }
  if (!block.empty()) fail(path, lines.number(), 0, "unterminated '" + block + " (' block");

  auto resolve = [&](const std::string& module, const std::string& required, int line, bool direct) {
    Package p = make_package(module, required, kGo, line, true, direct);
    auto it = replaces.find({module, required});
    if (it == replaces.end()) it = replaces.find({module, ""});
    if (it != replaces.end()) {
      if (it->second.version.empty()) {  // replaced by a local directory: the module's code is there
        p.version.clear();
        p.source_kind = "path";
        p.source = it->second.path;
      } else {
        p.name = it->second.path;
        p.version = it->second.version;
      }
    }
    return p;
  };
  for (const Require& r : requires_) out.packages.push_back(resolve(r.path, r.version, r.line, !r.indirect));
  if (options && before_go_1_17(go_version)) {
    std::string sum_path = path.ends_with(".mod") ? path.substr(0, path.size() - 4) + ".sum" : path + ".sum";
    std::optional<std::string> sum =
        options->read_include ? options->read_include(sum_path) : read_include_file(sum_path);
    if (sum) {
      std::set<std::string> required;
      for (const Require& r : requires_) required.insert(r.path);
      for (const auto& [module, m] : sum_modules(*sum)) {
        if (required.count(module)) continue;
        Package p = resolve(module, m.version, m.line, false);
        p.declared_in = sum_path;
        out.packages.push_back(std::move(p));
      }
    }
  }
  // The standard library: the toolchain that builds the module, when the file pins one.
  std::string stdlib;
  int stdlib_line = 0;
  if (!toolchain.empty() && toolchain.rfind("go", 0) == 0) {
    stdlib = toolchain.substr(2, toolchain.find('-') == std::string::npos ? std::string::npos
                                                                          : toolchain.find('-') - 2);
    stdlib_line = toolchain_line;
  } else if (std::count(go_version.begin(), go_version.end(), '.') == 2) {
    stdlib = go_version;
    stdlib_line = go_line;
  }
  if (!stdlib.empty()) out.packages.push_back(make_package("stdlib", stdlib, kGo, stdlib_line, true, true));
  return out;
}

}  // namespace

// Alone, nothing beside the file is read (see the overload with options).
ParsedLockfile parse_gomod(const std::string& path, std::string_view content) {
  return parse_mod(path, content, nullptr);
}

ParsedLockfile parse_gomod(const std::string& path, std::string_view content, const ParseOptions& options) {
  return parse_mod(path, content, &options);
}

}  // namespace agent::controls::dependencies::detail
