// composer.lock: "packages" and "packages-dev" arrays of {name, version}; a package from a "path"
// repository (dist type "path") carries its folder as source. The lock does not say which
// packages composer.json asks for.
#include "agent/controls/dependencies/json_lines.h"
#include "agent/controls/dependencies/parsers.h"

namespace agent::controls::dependencies::detail {

ParsedLockfile parse_composer(const std::string& path, std::string_view content) {
  ParsedLockfile out;
  out.format = "composer.lock";
  JsonKeep keep = [](std::size_t depth, std::string_view key) {
    if (depth == 1) return key == "packages" || key == "packages-dev";
    // Members of each package object, and of its "dist".
    return key == "name" || key == "version" || key == "dist" || key == "type" || key == "url";
  };
  JsonDoc doc = parse_json(path, content, keep);
  json_expect_object(path, 1, doc.root, "a composer.lock");
  for (const char* group : {"packages", "packages-dev"}) {
    const Json* list = json_array(path, 1, doc.root, group, "the lockfile");
    if (!list) continue;
    std::size_t index = 0;
    for (const Json& entry : *list) {
      int line = doc.line_of(entry);
      std::string what = std::string(group) + "[" + std::to_string(index++) + "]";
      json_expect_object(path, line ? line : doc.line_of(*list), entry, what);
      const std::string* name = json_string(path, line, entry, "name", what);
      const std::string* version = json_string(path, line, entry, "version", what);
      if (!name || !version || name->empty() || version->empty()) {
        warn(out, path, line, what + " without a name and version is skipped");
        continue;
      }
      Package p = make_package(*name, *version, "Packagist", line);
      if (const Json* dist = json_object(path, line, entry, "dist", what)) {
        const std::string* type = json_string(path, line, *dist, "type", what + ".dist");
        const std::string* url = json_string(path, line, *dist, "url", what + ".dist");
        if (type && *type == "path" && url) {
          p.source_kind = "path";
          p.source = *url;
        }
      }
      out.packages.push_back(std::move(p));
    }
  }
  return out;
}

}  // namespace agent::controls::dependencies::detail
