// pubspec.lock (Dart/Flutter pub): packages: name -> {dependency, description, source, version}.
// `dependency` is "direct main", "direct dev", "direct overridden" or "transitive". Hosted and
// git packages are checked (git ones by the version their pubspec declares); path packages are
// the project's own code and sdk ones (flutter, flutter_test) ship with the SDK.
#include <optional>

#include <yaml-cpp/yaml.h>

#include "agent/controls/dependencies/parsers.h"
#include "agent/util/yaml_guard.h"

namespace agent::controls::dependencies::detail {
namespace {

int line_of(const YAML::Node& node) { return node.Mark().is_null() ? 0 : node.Mark().line + 1; }
int col_of(const YAML::Node& node) { return node.Mark().is_null() ? 0 : node.Mark().column + 1; }

// A scalar field of map `node`; nullopt when absent or null; an error when it is not a scalar.
std::optional<std::string> scalar_field(const std::string& path, const YAML::Node& node, const char* key,
                                        const std::string& what) {
  const YAML::Node value = node[key];
  if (!value.IsDefined() || value.IsNull()) return std::nullopt;
  if (!value.IsScalar()) {
    fail(path, line_of(value), col_of(value), "'" + std::string(key) + "' of " + what + " must be a string");
  }
  return value.Scalar();
}

}  // namespace

ParsedLockfile parse_pubspec(const std::string& path, std::string_view content) {
  ParsedLockfile out;
  out.format = "pubspec.lock";
  util::YamlLimits limits;
  limits.max_nodes = 20'000'000;  // big lockfiles are fine; only alias bombs are refused
  const YAML::Node root = util::load_yaml(content, path, limits);
  if (root.IsNull()) return out;
  if (!root.IsMap()) fail(path, line_of(root), col_of(root), "not a pubspec.lock: expected a map at the top");
  const YAML::Node packages = root["packages"];
  if (!packages.IsDefined() || packages.IsNull()) {
    if (!root["sdks"].IsDefined()) fail(path, 1, 1, "not a pubspec.lock: no 'packages'");
    return out;
  }
  if (!packages.IsMap()) fail(path, line_of(packages), col_of(packages), "'packages' must be a map");
  for (const auto& item : packages) {
    const YAML::Node& key = item.first;
    const YAML::Node& entry = item.second;
    int line = line_of(key);
    if (!key.IsScalar()) fail(path, line, col_of(key), "a package name must be a string");
    std::string name = key.Scalar();
    std::string what = "package '" + name + "'";
    if (!entry.IsMap()) fail(path, line_of(entry) ? line_of(entry) : line, col_of(entry), what + " must be a map");
    std::optional<std::string> source = scalar_field(path, entry, "source", what);
    std::optional<std::string> version = scalar_field(path, entry, "version", what);
    std::optional<std::string> dependency = scalar_field(path, entry, "dependency", what);
    std::string src = source.value_or("");
    if (src == "sdk") continue;  // part of the Dart or Flutter SDK, versioned with it
    if (src == "path") {
      // A package from a folder of the repository: in the inventory, never matched.
      Package p = make_package(name, std::string(trim(version.value_or(""))), "Pub", line, dependency.has_value(),
                               dependency.value_or("").rfind("direct", 0) == 0);
      p.source_kind = "path";
      // description: {path: ..., relative: ...}, read by iteration (a missing key is no error).
      for (const auto& field : entry) {
        if (!field.first.IsScalar() || field.first.Scalar() != "description" || !field.second.IsMap()) continue;
        for (const auto& d : field.second)
          if (d.first.IsScalar() && d.first.Scalar() == "path" && d.second.IsScalar()) p.source = d.second.Scalar();
      }
      out.packages.push_back(std::move(p));
      continue;
    }
    if (!src.empty() && src != "hosted" && src != "git") {
      warn(out, path, line, what + " has source '" + src + "', which pub does not write: skipped");
      continue;
    }
    if (!version || trim(*version).empty()) {
      warn(out, path, line, what + " without a version is skipped");
      continue;
    }
    out.packages.push_back(make_package(name, std::string(trim(*version)), "Pub", line, dependency.has_value(),
                                        dependency.value_or("").rfind("direct", 0) == 0));
  }
  return out;
}

}  // namespace agent::controls::dependencies::detail
