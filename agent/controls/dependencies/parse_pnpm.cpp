// pnpm-lock.yaml: lockfileVersion 5.x ("/name/1.0.0_peer"), 6 ("/name@1.0.0(peer)") and 9
// ("name@1.0.0", importers). Read with yaml-cpp, whose marks give the line of each package key.
#include <set>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "agent/controls/dependencies/parsers.h"

namespace agent::controls::dependencies::detail {
namespace {

constexpr const char* kNpm = "npm";
const char* const kGroups[] = {"dependencies", "devDependencies", "optionalDependencies"};

bool is_version(std::string_view v) { return !v.empty() && v[0] >= '0' && v[0] <= '9'; }

int line_of(const YAML::Node& node) { return node.Mark().line + 1; }

std::string_view cut_at(std::string_view s, char c) {
  std::size_t i = s.find(c);
  return i == std::string_view::npos ? s : s.substr(0, i);
}

// Version text without peer suffixes: "5.3.2_acorn@8.7.0" (v5), "18.3.0(react@18.3.0)" (v6+).
std::string strip_peers(std::string_view v, bool v5) {
  v = cut_at(v, '(');
  if (v5) v = cut_at(v, '_');
  return std::string(v);
}

class PnpmParser {
 public:
  PnpmParser(const std::string& path) : path_(path) {}

  ParsedLockfile run(std::string_view content) {
    YAML::Node loaded;
    try {
      loaded = YAML::Load(std::string(content));
    } catch (const YAML::Exception& e) {
      fail(path_, e.mark.line + 1, e.mark.column + 1, "invalid YAML: " + e.msg);
    }
    const YAML::Node& root = loaded;
    if (root.IsNull()) return std::move(out_);
    if (!root.IsMap()) fail(path_, line_of(root), 1, "not a pnpm lockfile: expected a map at the top");
    std::string version = "5";
    if (YAML::Node v = root["lockfileVersion"]) {
      if (!v.IsScalar()) fail(path_, line_of(v), 0, "'lockfileVersion' must be a number or string");
      version = v.Scalar();
    }
    int major = 0;
    for (char c : version) {
      if (c < '0' || c > '9' || major > 1000) break;
      major = major * 10 + (c - '0');
    }
    v5_ = major < 6;
    out_.format = "pnpm-lock.yaml v" + version;

    read_direct(root);
    if (YAML::Node importers = map_member(root, "importers")) {
      for (const auto& importer : importers) {
        if (importer.second.IsMap()) read_direct(importer.second);
      }
    }
    YAML::Node packages = map_member(root, "packages");
    if (!packages) return std::move(out_);
    for (const auto& item : packages) {
      read_package(item.first, item.second);
    }
    return std::move(out_);
  }

 private:
  // `key` of `node` when present: must be a map (or empty).
  YAML::Node map_member(const YAML::Node& node, const char* key) {
    YAML::Node v = node[key];
    if (!v || v.IsNull()) return YAML::Node();
    if (!v.IsMap()) fail(path_, line_of(v), 0, std::string("'") + key + "' must be a map");
    return v;
  }

  std::string scalar_member(const YAML::Node& node, const char* key, const std::string& what) {
    YAML::Node v = node[key];
    if (!v || v.IsNull()) return {};
    if (!v.IsScalar()) fail(path_, line_of(v), 0, std::string("'") + key + "' of " + what + " must be a string");
    return v.Scalar();
  }

  // Top-level (v5/v6) or importer dependency groups: name -> version (v5) or {specifier, version}.
  void read_direct(const YAML::Node& project) {
    for (const char* group : kGroups) {
      YAML::Node deps = map_member(project, group);
      if (!deps) continue;
      for (const auto& dep : deps) {
        std::string name = dep.first.Scalar();
        std::string version;
        if (dep.second.IsScalar()) version = dep.second.Scalar();
        else if (dep.second.IsMap()) version = scalar_member(dep.second, "version", "dependency " + name);
        if (version.empty()) continue;
        direct_.insert({name, strip_peers(version, v5_)});
        direct_paths_.insert(version);
        direct_paths_.insert(name + "@" + version);
      }
    }
  }

  void read_package(const YAML::Node& key_node, const YAML::Node& entry) {
    int line = line_of(key_node);
    if (!key_node.IsScalar()) fail(path_, line, 0, "package key must be a string");
    const std::string& key = key_node.Scalar();
    if (!entry.IsNull() && !entry.IsMap()) fail(path_, line, 0, "package '" + key + "' must be a map");
    std::string what = "package '" + key + "'";
    std::string name = entry.IsMap() ? scalar_member(entry, "name", what) : "";
    std::string version = entry.IsMap() ? scalar_member(entry, "version", what) : "";
    std::string_view k = key;
    if (k.rfind("file:", 0) == 0 || k.rfind("link:", 0) == 0) return;  // local folders and tarballs
    if (entry.IsMap()) {
      YAML::Node resolution = entry["resolution"];
      if (resolution && resolution.IsMap() && (resolution["directory"] ||
                                               scalar_member(resolution, "tarball", what).rfind("file:", 0) == 0)) {
        return;
      }
    }
    std::string path_key(k.size() > 0 && k[0] == '/' ? k.substr(1) : k);
    if (name.empty() || version.empty()) {
      std::string key_name, key_version;
      if (!split_key(k, key_name, key_version)) {
        warn(out_, path_, line, "cannot read a package name and version from '" + key + "'");
        return;
      }
      if (name.empty()) name = key_name;
      if (version.empty()) version = key_version;
    }
    if (!is_version(version)) {
      warn(out_, path_, line, "package '" + key + "' has no usable version");
      return;
    }
    bool direct = direct_.count({name, version}) > 0 || direct_paths_.count(path_key) > 0 ||
                  direct_paths_.count(std::string(cut_at(path_key, '('))) > 0;
    out_.packages.push_back(make_package(name, version, kNpm, line, true, direct));
  }

  bool split_key(std::string_view key, std::string& name, std::string& version) {
    bool slash = !key.empty() && key[0] == '/';
    if (slash) key.remove_prefix(1);
    if (v5_) {
      // "/name/1.0.0_peer", "/@scope/name/1.0.0", "registry.example.com/name/1.0.0"
      if (!slash) {
        std::size_t host = key.find('/');
        if (host == std::string_view::npos) return false;
        key.remove_prefix(host + 1);
      }
      std::size_t first = key.find('/');
      if (first == std::string_view::npos) return false;
      std::size_t sep = first;
      if (key[0] == '@') sep = key.find('/', first + 1);
      if (sep == std::string_view::npos) return false;
      name = std::string(key.substr(0, sep));
      std::string_view rest = key.substr(sep + 1);
      if (rest.find('/') != std::string_view::npos) return false;
      version = strip_peers(rest, true);
    } else {
      key = cut_at(key, '(');
      std::size_t at = key.rfind('@');
      if (at == std::string_view::npos || at == 0) return false;
      name = std::string(key.substr(0, at));
      version = std::string(key.substr(at + 1));
    }
    return !name.empty() && !version.empty();
  }

  const std::string& path_;
  bool v5_ = false;
  std::set<std::pair<std::string, std::string>> direct_;
  std::set<std::string> direct_paths_;
  ParsedLockfile out_;
};

}  // namespace

ParsedLockfile parse_pnpm(const std::string& path, std::string_view content) {
  try {
    return PnpmParser(path).run(content);
  } catch (const YAML::Exception& e) {
    // Type conversions inside yaml-cpp (e.g. a key that is itself a map) end up here.
    fail(path, e.mark.line + 1, e.mark.column + 1, "unexpected YAML structure: " + e.msg);
  }
}

}  // namespace agent::controls::dependencies::detail
