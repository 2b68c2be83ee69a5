// NuGet beyond packages.lock.json: packages.config (the classic per-project list, XML attributes;
// it lists every installed package, dependencies included, so direct vs transitive is unknown)
// and *.deps.json (what a built .NET application loads: `libraries` of type "package" are NuGet
// packages, "project" ones the solution's own; a project's dependencies in `targets` are direct).
#include <set>

#include "agent/controls/dependencies/json_lines.h"
#include "agent/controls/dependencies/parsers.h"

namespace agent::controls::dependencies::detail {
namespace {

constexpr const char* kNuGet = "NuGet";

// "Name/1.2.3" -> name and version; false when either is missing.
bool split_library(std::string_view key, std::string& name, std::string& version) {
  std::size_t slash = key.rfind('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == key.size()) return false;
  name = std::string(key.substr(0, slash));
  version = std::string(key.substr(slash + 1));
  return true;
}

}  // namespace

ParsedLockfile parse_packages_config(const std::string& path, std::string_view content) {
  ParsedLockfile out;
  out.format = "packages.config";
  XmlTag root;
  std::vector<XmlTag> tags = xml_tags_named(path, content, "package", &root);
  if (root.name != "packages") {
    fail(path, root.line, 0, "not a packages.config: the root element is <" + root.name + ">, not <packages>");
  }
  for (const XmlTag& tag : tags) {
    const std::string* id = tag.attribute("id");
    const std::string* version = tag.attribute("version");
    if (!id || id->empty()) fail(path, tag.line, 0, "<package> without an id attribute");
    if (!version || trim(*version).empty()) {
      warn(out, path, tag.line, "package '" + *id + "' without a version is skipped");
      continue;
    }
    out.packages.push_back(make_package(*id, std::string(trim(*version)), kNuGet, tag.line));
  }
  return out;
}

ParsedLockfile parse_deps_json(const std::string& path, std::string_view content) {
  ParsedLockfile out;
  out.format = "deps.json";
  JsonKeep keep = [](std::size_t depth, std::string_view key) {
    if (depth == 1) return key == "targets" || key == "libraries";
    if (depth == 4) return key == "dependencies";
    return true;  // frameworks, library names, their fields
  };
  JsonDoc doc = parse_json(path, content, keep);
  json_expect_object(path, 1, doc.root, "a deps.json");
  const Json* libraries = json_object(path, 1, doc.root, "libraries", "the deps.json");
  if (!libraries) fail(path, 1, 1, "not a deps.json: no 'libraries' object");

  std::set<std::string> projects;  // "Name/Version" keys of the solution's own projects
  int libraries_line = doc.line_of(*libraries);
  for (const auto& [key, library] : libraries->items()) {
    int line = doc.line_of(library) ? doc.line_of(library) : libraries_line;
    json_expect_object(path, line, library, "library '" + key + "'");
    const std::string* type = json_string(path, line, library, "type", "library '" + key + "'");
    if (type && *type == "project") projects.insert(key);
  }
  std::set<std::string> direct;
  if (const Json* targets = json_object(path, 1, doc.root, "targets", "the deps.json")) {
    for (const auto& [framework, entries] : targets->items()) {
      json_expect_object(path, doc.line_of(entries), entries, "target '" + framework + "'");
      for (const auto& [key, entry] : entries.items()) {
        if (!projects.count(key)) continue;
        int line = doc.line_of(entry) ? doc.line_of(entry) : doc.line_of(entries);
        json_expect_object(path, line, entry, "target entry '" + key + "'");
        const Json* deps = json_object(path, line, entry, "dependencies", "target entry '" + key + "'");
        if (!deps) continue;
        for (const auto& [name, version] : deps->items()) {
          if (version.is_string()) direct.insert(name + "/" + version.get<std::string>());
        }
      }
    }
  }
  bool direct_known = !projects.empty();
  for (const auto& [key, library] : libraries->items()) {
    int line = doc.line_of(library);
    const std::string* type = json_string(path, line, library, "type", "library '" + key + "'");
    if (!type || *type != "package") continue;  // projects, reference assemblies, runtime packs
    std::string name, version;
    if (!split_library(key, name, version)) {
      warn(out, path, line, "library '" + key + "' is not 'Name/Version', skipped");
      continue;
    }
    out.packages.push_back(make_package(name, version, kNuGet, line, direct_known, direct.count(key) > 0));
  }
  return out;
}

}  // namespace agent::controls::dependencies::detail
