// package-lock.json / npm-shrinkwrap.json: v1 ("dependencies" tree), v2 and v3 ("packages" map).
// Every installed package is listed: git dependencies (their resolved URL and commit), file: and
// link (workspace) entries (their path) and tarball URLs outside a registry with their source.
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "agent/controls/dependencies/json_lines.h"
#include "agent/controls/dependencies/parsers.h"

namespace agent::controls::dependencies::detail {
namespace {

constexpr const char* kNpm = "npm";
constexpr std::string_view kNodeModules = "node_modules/";

bool is_version(std::string_view v) { return !v.empty() && v[0] >= '0' && v[0] <= '9'; }

// "npm:@babel/code-frame@7.0.0" -> {"@babel/code-frame", "7.0.0"}; false when not an alias.
bool split_alias(std::string_view spec, std::string& name, std::string& version) {
  if (spec.rfind("npm:", 0) != 0) return false;
  spec.remove_prefix(4);
  std::size_t at = spec.rfind('@');
  if (at == std::string_view::npos || at == 0) return false;
  name = std::string(spec.substr(0, at));
  version = std::string(spec.substr(at + 1));
  return true;
}

const std::set<std::string, std::less<>> kEntryFields = {
    "version", "name", "link", "resolved", "dev", "optional", "devOptional", "dependencies",
    "devDependencies", "optionalDependencies", "peerDependencies"};

const char* const kDependencyGroups[] = {"dependencies", "devDependencies", "optionalDependencies",
                                         "peerDependencies"};

class NpmParser {
 public:
  NpmParser(const std::string& path, std::string_view content) : path_(path), content_(content) {}

  ParsedLockfile run() {
    bool seen_packages = false;
    // Keep only what we read: top-level sections, every package key, a few fields per entry
    // (odd depths from 3 are entry fields in both layouts; even depths are package names).
    JsonKeep keep = [&seen_packages](std::size_t depth, std::string_view key) {
      if (depth == 1) {
        if (key == "packages") seen_packages = true;
        // v2 repeats the tree in "dependencies" for old npm versions: read it only without "packages".
        if (key == "dependencies") return !seen_packages;
        return key == "packages" || key == "lockfileVersion";
      }
      if (depth % 2 == 1) return kEntryFields.count(key) > 0;
      return true;
    };
    doc_ = parse_json(path_, content_, keep);
    const Json& root = doc_.root;
    json_expect_object(path_, 1, root, "a package-lock.json");
    int version = 1;
    if (auto it = root.find("lockfileVersion"); it != root.end() && !it->is_null()) {
      if (!it->is_number_integer()) {
        fail(path_, 1, 0, "'lockfileVersion' must be a number, not " + json_type_name(*it));
      }
      version = it->get<int>();
    }
    bool shrinkwrap = path_.size() >= 19 && path_.compare(path_.size() - 19, 19, "npm-shrinkwrap.json") == 0;
    std::string file = shrinkwrap ? "npm-shrinkwrap.json" : "package-lock.json";
    if (const Json* packages = json_object(path_, 1, root, "packages", "the lockfile")) {
      out_.format = file + " v" + std::to_string(version < 2 ? 2 : version);
      read_packages(*packages);
    } else if (const Json* deps = json_object(path_, 1, root, "dependencies", "the lockfile")) {
      out_.format = file + " v1";
      read_v1(*deps);
    } else {
      out_.format = file + " v" + std::to_string(version);
    }
    return std::move(out_);
  }

 private:
  // v2/v3: keys are install paths ("node_modules/a/node_modules/b"); "" and other paths without
  // node_modules are the root project and workspace members, whose dependencies are direct.
  void read_packages(const Json& packages) {
    std::unordered_map<std::string, std::unordered_set<std::string>> direct_by_project;
    std::unordered_set<std::string> any_project_direct;
    for (const auto& [key, entry] : packages.items()) {
      if (key.find(kNodeModules) != std::string::npos || key.rfind("node_modules", 0) == 0) continue;
      int line = doc_.line_of(entry);
      json_expect_object(path_, line, entry, "package '" + key + "'");
      auto& names = direct_by_project[key];
      for (const char* group : kDependencyGroups) {
        const Json* deps = json_object(path_, line, entry, group, "package '" + key + "'");
        if (!deps) continue;
        for (const auto& [name, spec] : deps->items()) {
          names.insert(name);
          any_project_direct.insert(name);
        }
      }
    }
    // Folders of the project (file: dependencies, workspace members) not reached through a link
    // entry are packages too: named by their entry, else by their folder.
    std::unordered_set<std::string> linked;
    for (const auto& [key, entry] : packages.items()) {
      if (key.find(kNodeModules) == std::string::npos || !entry.is_object()) continue;
      auto link = entry.find("link"), resolved = entry.find("resolved");
      if (link != entry.end() && link->is_boolean() && link->get<bool>() && resolved != entry.end() &&
          resolved->is_string())
        linked.insert(resolved->get<std::string>());
    }
    for (const auto& [key, entry] : packages.items()) {
      if (key.empty() || key.find(kNodeModules) != std::string::npos || key.rfind("node_modules", 0) == 0 ||
          linked.count(key))
        continue;
      int line = doc_.line_of(entry);
      std::string what = "package '" + key + "'";
      const std::string* version = json_string(path_, line, entry, "version", what);
      const std::string* name = json_string(path_, line, entry, "name", what);
      std::string folder = key.substr(key.find_last_of('/') == std::string::npos ? 0 : key.find_last_of('/') + 1);
      std::string pkg_name = name ? *name : folder;
      if (pkg_name.empty()) continue;
      Package p = make_package(pkg_name, version && is_version(*version) ? *version : std::string(), kNpm, line, true,
                               any_project_direct.count(pkg_name) > 0);
      p.source_kind = "path";
      p.source = key;
      out_.packages.push_back(std::move(p));
    }
    for (const auto& [key, entry] : packages.items()) {
      std::size_t nm = key.rfind(kNodeModules);
      if (nm == std::string::npos) continue;
      int line = doc_.line_of(entry);
      std::string what = "package '" + key + "'";
      json_expect_object(path_, line, entry, what);
      const std::string* version = json_string(path_, line, entry, "version", what);
      const std::string* name = json_string(path_, line, entry, "name", what);
      const std::string* resolved = json_string(path_, line, entry, "resolved", what);
      std::string folder = key.substr(nm + kNodeModules.size());
      std::string pkg_name = name ? *name : folder;
      std::string source_kind, source;
      if (json_bool(path_, line, entry, "link", what)) {
        // A link to a local folder (a workspace member): its entry there has the version.
        source_kind = "path";
        source = resolved ? *resolved : std::string();
        if (!version && resolved) {
          if (auto it = packages.find(*resolved); it != packages.end() && it->is_object()) {
            const std::string* target_version = json_string(path_, line, *it, "version", what);
            const std::string* target_name = json_string(path_, line, *it, "name", what);
            if (target_version) version = target_version;
            if (target_name && !name) pkg_name = *target_name;
          }
        }
      } else if (resolved) {
        NpmSource from = npm_source(*resolved);
        source_kind = std::move(from.kind);
        source = std::move(from.location);
      }
      std::string pkg_version = version ? *version : std::string();
      std::string alias_name;
      if (split_alias(pkg_version, alias_name, pkg_version)) pkg_name = alias_name;
      if (pkg_name.empty()) continue;
      if (!is_version(pkg_version)) {
        if (source_kind.empty()) continue;  // a registry entry without a version: nothing installed
        pkg_version.clear();
      }
      // Direct: installed at the top of a project's node_modules and named in its dependencies
      // (hoisted workspace dependencies land in the root node_modules).
      std::string project = key.substr(0, nm);
      if (!project.empty() && project.back() == '/') project.pop_back();
      bool direct = false;
      if (project.find(kNodeModules) == std::string::npos && project.rfind("node_modules", 0) != 0) {
        auto it = direct_by_project.find(project);
        direct = (it != direct_by_project.end() && it->second.count(folder)) ||
                 (project.empty() && any_project_direct.count(folder));
      }
      Package p = make_package(pkg_name, pkg_version, kNpm, line, true, direct);
      p.source_kind = std::move(source_kind);
      p.source = std::move(source);
      out_.packages.push_back(std::move(p));
    }
  }

  // v1: a tree of "dependencies"; the format does not say which ones the project asked for.
  void read_v1(const Json& deps) {
    for (const auto& [key, entry] : deps.items()) {
      int line = doc_.line_of(entry);
      std::string what = "dependency '" + key + "'";
      json_expect_object(path_, line, entry, what);
      const std::string* version = json_string(path_, line, entry, "version", what);
      if (version) {
        std::string name = key;
        std::string pkg_version = *version;
        std::string alias_name;
        if (split_alias(pkg_version, alias_name, pkg_version)) name = alias_name;
        if (is_version(pkg_version)) {
          Package p = make_package(name, pkg_version, kNpm, line);
          // A registry version installed from elsewhere (a tarball URL).
          if (const std::string* resolved = json_string(path_, line, entry, "resolved", what)) {
            NpmSource from = npm_source(*resolved);
            p.source_kind = std::move(from.kind);
            p.source = std::move(from.location);
          }
          out_.packages.push_back(std::move(p));
        } else if (NpmSource from = npm_source(pkg_version); !from.kind.empty()) {
          // v1 writes a git or file: dependency's source in place of its version.
          Package p = make_package(name, {}, kNpm, line);
          p.source_kind = std::move(from.kind);
          p.source = std::move(from.location);
          out_.packages.push_back(std::move(p));
        }
      }
      if (const Json* nested = json_object(path_, line, entry, "dependencies", what)) {
        read_v1(*nested);
      }
    }
  }

  const std::string& path_;
  std::string_view content_;
  JsonDoc doc_;
  ParsedLockfile out_;
};

}  // namespace

ParsedLockfile parse_npm(const std::string& path, std::string_view content) {
  return NpmParser(path, content).run();
}

}  // namespace agent::controls::dependencies::detail
