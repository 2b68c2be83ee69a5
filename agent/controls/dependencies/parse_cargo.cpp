// Cargo.lock: [[package]] tables. Packages without a `source` are the workspace's own crates:
// listed as local ("path", the lock does not say where), and the crates they list in
// `dependencies` are the direct ones. A `git+URL?query#commit` source is a git dependency.
#include <algorithm>
#include <set>

#include "agent/controls/dependencies/parsers.h"
#include "agent/util/toml.h"

namespace agent::controls::dependencies::detail {

using util::parse_toml;
using util::TomlKeep;
using util::TomlTable;
using util::TomlValue;
using util::toml_string;

ParsedLockfile parse_cargo(const std::string& path, std::string_view content) {
  ParsedLockfile out;
  TomlKeep keep = [](std::string_view table, std::string_view key) {
    if (table.empty()) return key == "version";
    return table == "package" &&
           (key == "name" || key == "version" || key == "source" || key == "dependencies");
  };
  std::vector<TomlTable> tables = parse_toml(path, content, keep);
  out.format = "Cargo.lock";
  if (const TomlValue* version = tables[0].get("version")) out.format += " v" + version->text;
  struct Crate {
    std::string name, version;
    int line;
    bool local;
    std::string git;  // "URL#commit" of a git source
  };
  std::vector<Crate> crates;
  std::set<std::string> direct_names;             // "name" entries
  std::set<std::pair<std::string, std::string>> direct_versions;  // "name version" entries
  bool direct_known = false;
  for (const TomlTable& t : tables) {
    if (!t.array || t.name != "package") continue;
    const std::string* name = toml_string(path, t, "name", "[[package]]");
    const std::string* version = toml_string(path, t, "version", "[[package]]");
    int line = name ? t.get("name")->line : t.line;
    if (!name || !version || name->empty() || version->empty()) {
      warn(out, path, line, "[[package]] without a name and version is skipped");
      continue;
    }
    const std::string* source = toml_string(path, t, "source", "[[package]]");
    bool local = source == nullptr;
    std::string git;
    if (source && source->starts_with("git+")) {
      std::string_view s = std::string_view(*source).substr(4);
      auto query = s.find('?'), hash = s.find('#');
      git = std::string(s.substr(0, std::min(query, hash)));
      if (hash != std::string_view::npos) git += std::string(s.substr(hash));
    }
    crates.push_back({*name, *version, line, local, std::move(git)});
    if (!local) continue;
    direct_known = true;
    const TomlValue* deps = t.get("dependencies");
    if (!deps) continue;
    if (deps->kind != TomlValue::Kind::array) fail(path, deps->line, 0, "'dependencies' must be an array");
    for (const TomlValue& dep : deps->items) {
      if (dep.kind != TomlValue::Kind::string) fail(path, dep.line, 0, "a dependency must be a string");
      // "name", "name version" or "name version (source)"
      std::string_view text = dep.text;
      std::size_t space = text.find(' ');
      if (space == std::string_view::npos) {
        direct_names.emplace(text);
      } else {
        std::string_view rest = text.substr(space + 1);
        direct_versions.emplace(std::string(text.substr(0, space)), std::string(rest.substr(0, rest.find(' '))));
      }
    }
  }
  for (const Crate& c : crates) {
    bool direct = !c.local && (direct_names.count(c.name) || direct_versions.count({c.name, c.version}));
    Package p = make_package(c.name, c.version, "crates.io", c.line, direct_known, direct);
    if (c.local) p.source_kind = "path";
    if (!c.git.empty()) {
      p.source_kind = "git";
      p.source = c.git;
    }
    out.packages.push_back(std::move(p));
  }
  return out;
}

}  // namespace agent::controls::dependencies::detail
