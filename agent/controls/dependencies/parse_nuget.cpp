// packages.lock.json: per target framework, name -> {type, resolved}. "Direct" packages are the
// project's own references; "Project" entries are other projects of the solution (not packages).
#include "agent/controls/dependencies/json_lines.h"
#include "agent/controls/dependencies/parsers.h"

namespace agent::controls::dependencies::detail {

ParsedLockfile parse_nuget(const std::string& path, std::string_view content) {
  ParsedLockfile out;
  JsonKeep keep = [](std::size_t depth, std::string_view key) {
    if (depth == 1) return key == "version" || key == "dependencies";
    if (depth == 4) return key == "type" || key == "resolved";
    return true;  // frameworks, package names
  };
  JsonDoc doc = parse_json(path, content, keep);
  json_expect_object(path, 1, doc.root, "a packages.lock.json");
  out.format = "packages.lock.json";
  if (auto it = doc.root.find("version"); it != doc.root.end() && it->is_number_integer()) {
    out.format += " v" + std::to_string(it->get<int>());
  }
  const Json* frameworks = json_object(path, 1, doc.root, "dependencies", "the lockfile");
  if (!frameworks) return out;
  for (const auto& [framework, packages] : frameworks->items()) {
    int framework_line = doc.line_of(packages);
    json_expect_object(path, framework_line, packages, "framework '" + framework + "'");
    for (const auto& [name, entry] : packages.items()) {
      int line = doc.line_of(entry);
      std::string what = "package '" + name + "'";
      json_expect_object(path, line ? line : framework_line, entry, what);
      const std::string* type = json_string(path, line, entry, "type", what);
      const std::string* resolved = json_string(path, line, entry, "resolved", what);
      if (type && *type == "Project") continue;
      if (!resolved || resolved->empty()) {
        warn(out, path, line, what + " without a resolved version is skipped");
        continue;
      }
      bool direct = type && *type == "Direct";
      out.packages.push_back(make_package(name, *resolved, "NuGet", line, type != nullptr, direct));
    }
  }
  return out;
}

}  // namespace agent::controls::dependencies::detail
