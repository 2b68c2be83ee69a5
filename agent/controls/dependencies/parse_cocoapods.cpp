// Podfile.lock (CocoaPods): PODS lists every resolved pod as "Name (version)", alone or as a map
// to the pods it depends on; a subspec "Name/Sub (version)" is part of pod "Name". DEPENDENCIES
// lists what the Podfile asks for (direct). EXTERNAL SOURCES names pods taken from elsewhere:
// `:path` ones are local code; `:git` and `:podspec` ones keep the version their podspec gives.
#include <optional>
#include <set>

#include <yaml-cpp/yaml.h>

#include "agent/controls/dependencies/parsers.h"
#include "agent/util/yaml_guard.h"

namespace agent::controls::dependencies::detail {
namespace {

int line_of(const YAML::Node& node) { return node.Mark().is_null() ? 0 : node.Mark().line + 1; }
int col_of(const YAML::Node& node) { return node.Mark().is_null() ? 0 : node.Mark().column + 1; }

std::string root_pod(std::string_view name) { return std::string(name.substr(0, name.find('/'))); }

// "Name/Sub (1.2.3)" -> name "Name/Sub", version "1.2.3"; "Name (~> 1.0)", "Name" -> no version.
void split_spec(std::string_view spec, std::string& name, std::string& version) {
  spec = trim(spec);
  std::size_t open = spec.find(" (");
  name = std::string(trim(spec.substr(0, open)));
  version.clear();
  if (open != std::string_view::npos && spec.back() == ')') {
    version = std::string(trim(spec.substr(open + 2, spec.size() - open - 3)));
  }
}

}  // namespace

ParsedLockfile parse_podfile(const std::string& path, std::string_view content) {
  ParsedLockfile out;
  out.format = "Podfile.lock";
  util::YamlLimits limits;
  limits.max_nodes = 20'000'000;
  const YAML::Node root = util::load_yaml(content, path, limits);
  if (root.IsNull()) return out;
  if (!root.IsMap()) fail(path, line_of(root), col_of(root), "not a Podfile.lock: expected a map at the top");
  const YAML::Node pods = root["PODS"];
  if (!pods.IsDefined() || pods.IsNull()) {
    if (!root["COCOAPODS"].IsDefined()) fail(path, 1, 1, "not a Podfile.lock: no 'PODS'");
    return out;
  }
  if (!pods.IsSequence()) fail(path, line_of(pods), col_of(pods), "'PODS' must be a list");

  std::set<std::string> direct;
  const YAML::Node dependencies = root["DEPENDENCIES"];
  bool direct_known = dependencies.IsDefined() && dependencies.IsSequence();
  if (direct_known) {
    for (const YAML::Node& d : dependencies) {
      if (!d.IsScalar()) fail(path, line_of(d), col_of(d), "a DEPENDENCIES entry must be a string");
      std::string name, version;
      split_spec(d.Scalar(), name, version);
      direct.insert(root_pod(name));
    }
  }
  std::set<std::string> local;  // pods from a :path
  const YAML::Node external = root["EXTERNAL SOURCES"];
  if (external.IsDefined() && external.IsMap()) {
    for (const auto& item : external) {
      if (item.first.IsScalar() && item.second.IsMap() && item.second[":path"].IsDefined()) {
        local.insert(root_pod(item.first.Scalar()));
      }
    }
  }
  for (const YAML::Node& item : pods) {
    if (item.IsMap() && item.size() != 1) {
      fail(path, line_of(item), col_of(item), "a PODS entry must be 'Name (version)' or a map of one such key");
    }
    // (YAML::Node's operator= would write into the document: initialise, never assign.)
    const YAML::Node spec = item.IsMap() ? item.begin()->first : item;
    if (!spec.IsScalar()) fail(path, line_of(item), col_of(item), "a PODS entry must be 'Name (version)'");
    std::string name, version;
    split_spec(spec.Scalar(), name, version);
    int line = line_of(spec);
    if (name.empty() || version.empty()) {
      fail(path, line, col_of(spec), "expected 'Name (version)' in PODS, not '" + spec.Scalar() + "'");
    }
    std::string pod = root_pod(name);
    if (pod.empty()) fail(path, line, col_of(spec), "empty pod name in '" + spec.Scalar() + "'");
    if (local.count(pod)) continue;
    out.packages.push_back(make_package(pod, version, "CocoaPods", line, direct_known, direct.count(pod) > 0));
  }
  return out;
}

}  // namespace agent::controls::dependencies::detail
