// bun.lock (text format): JSON with comments and trailing commas; packages are tuples
// ["name@version", registry, {dependencies...}, integrity]; git, file and workspace packages
// ("name@github:o/r#sha", "name@file:dir") are listed with their source and no version.
#include <algorithm>
#include <unordered_set>

#include "agent/controls/dependencies/json_lines.h"
#include "agent/controls/dependencies/parsers.h"

namespace agent::controls::dependencies::detail {
namespace {

constexpr const char* kNpm = "npm";

// Blanks comments and trailing commas with spaces, so offsets (and error positions) stay the same.
std::string to_strict_json(std::string_view in) {
  std::string out(in);
  bool in_string = false;
  std::size_t last_comma = std::string::npos;  // a comma not yet followed by a significant char
  for (std::size_t i = 0; i < out.size(); ++i) {
    char c = out[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '/' && i + 1 < out.size() && out[i + 1] == '/') {
      while (i < out.size() && out[i] != '\n') out[i++] = ' ';
      continue;
    }
    if (c == '/' && i + 1 < out.size() && out[i + 1] == '*') {
      std::size_t end = out.find("*/", i + 2);
      end = end == std::string::npos ? out.size() : end + 2;
      for (; i < end; ++i) {
        if (out[i] != '\n') out[i] = ' ';
      }
      --i;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if ((c == '}' || c == ']') && last_comma != std::string::npos) out[last_comma] = ' ';
    last_comma = c == ',' ? i : std::string::npos;
    if (c == '"') in_string = true;
  }
  return out;
}

bool is_top_level(std::string_view key) {
  std::size_t slashes = std::count(key.begin(), key.end(), '/');
  return slashes == 0 || (slashes == 1 && !key.empty() && key[0] == '@');
}

}  // namespace

ParsedLockfile parse_bun(const std::string& path, std::string_view content) {
  std::string strict = to_strict_json(content);
  JsonDoc doc = parse_json(path, strict);
  const Json& root = doc.root;
  json_expect_object(path, 1, root, "a bun.lock");
  ParsedLockfile out;
  out.format = "bun.lock";

  std::unordered_set<std::string> direct;
  if (const Json* workspaces = json_object(path, 1, root, "workspaces", "the lockfile")) {
    for (const auto& [name, ws] : workspaces->items()) {
      int line = doc.line_of(ws);
      json_expect_object(path, line, ws, "workspace '" + name + "'");
      for (const char* group : {"dependencies", "devDependencies", "optionalDependencies", "peerDependencies"}) {
        const Json* deps = json_object(path, line, ws, group, "workspace '" + name + "'");
        if (!deps) continue;
        for (const auto& [dep, spec] : deps->items()) direct.insert(dep);
      }
    }
  }
  const Json* packages = json_object(path, 1, root, "packages", "the lockfile");
  if (!packages) return out;
  for (const auto& [key, tuple] : packages->items()) {
    int line = doc.line_of(tuple);
    if (!tuple.is_array() || tuple.empty() || !tuple[0].is_string()) {
      std::string got = !tuple.is_array() ? json_type_name(tuple)
                        : tuple.empty()   ? "an empty array"
                                          : "an array starting with " + json_type_name(tuple[0]);
      fail(path, line, 0, "package '" + key + "' must be an array starting with \"name@version\", not " + got);
    }
    const std::string& ident = tuple[0].get_ref<const std::string&>();
    std::size_t at = ident.find('@', 1);  // "@scope/name@..." keeps its scope
    if (at == std::string::npos) continue;
    std::string name = ident.substr(0, at);
    std::string version = ident.substr(at + 1);
    // "name@1.0.0" from the registry; "name@github:o/r#sha", "name@file:dir", "name@workspace:dir".
    NpmSource source;
    if (version.empty() || version[0] < '0' || version[0] > '9') {
      source = npm_source(version);
      if (source.kind.empty()) continue;
      version.clear();
    } else if (tuple.size() > 1 && tuple[1].is_string() && !tuple[1].get_ref<const std::string&>().empty()) {
      source = npm_source(tuple[1].get_ref<const std::string&>());  // a tarball URL (or another registry)
    }
    bool is_direct = is_top_level(key) && direct.count(key) > 0;
    Package p = make_package(name, version, kNpm, line, true, is_direct);
    p.source_kind = std::move(source.kind);
    p.source = std::move(source.location);
    out.packages.push_back(std::move(p));
  }
  return out;
}

}  // namespace agent::controls::dependencies::detail
