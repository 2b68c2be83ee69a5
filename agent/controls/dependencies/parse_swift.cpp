// Package.resolved of the Swift Package Manager. v1: object.pins[] {package, repositoryURL,
// state{branch, revision, version}}; v2 and v3 (v3 adds originHash): pins[] {identity, kind,
// location, state}. OSV's SwiftURL names a package by its repository URL without the scheme and
// ".git" ("github.com/apple/swift-nio"). Local checkouts are the project's own code; registry pins
// have no URL and pins on a branch or bare revision have no version: both are reported, not checked.
#include "agent/controls/dependencies/json_lines.h"
#include "agent/controls/dependencies/parsers.h"

namespace agent::controls::dependencies::detail {
namespace {

bool ends_with_lower(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  for (std::size_t i = 0; i < suffix.size(); ++i) {
    char c = s[s.size() - suffix.size() + i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != suffix[i]) return false;
  }
  return true;
}

bool is_local_location(std::string_view location) {
  return location.empty() || location[0] == '/' || location[0] == '.' || location[0] == '~' ||
         location.rfind("file:", 0) == 0;
}

// "https://github.com/apple/swift-nio.git", "git@github.com:apple/swift-nio.git",
// "ssh://git@github.com/apple/swift-nio" -> "github.com/apple/swift-nio".
std::string swift_url_name(std::string_view url) {
  url = trim(url);
  std::size_t scheme = url.find("://");
  bool scp_like = false;
  if (scheme != std::string_view::npos) {
    url.remove_prefix(scheme + 3);
  } else {
    std::size_t colon = url.find(':');
    scp_like = colon != std::string_view::npos && colon < url.find('/');
  }
  std::size_t host_end = url.find('/');
  std::size_t at = url.substr(0, host_end == std::string_view::npos ? url.size() : host_end).find('@');
  if (at != std::string_view::npos) url.remove_prefix(at + 1);  // user-info
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  if (ends_with_lower(url, ".git")) url.remove_suffix(4);
  std::string name(url);
  if (scp_like) {
    std::size_t colon = name.find(':');
    if (colon != std::string::npos) name[colon] = '/';
  }
  return name;
}

}  // namespace

ParsedLockfile parse_swift(const std::string& path, std::string_view content) {
  ParsedLockfile out;
  JsonDoc doc = parse_json(path, content);
  json_expect_object(path, 1, doc.root, "a Package.resolved");
  int version = 0;
  if (auto it = doc.root.find("version"); it != doc.root.end() && it->is_number_integer()) {
    version = it->get<int>();
  }
  out.format = version ? "Package.resolved v" + std::to_string(version) : "Package.resolved";
  const Json* pins = nullptr;
  if (const Json* object = json_object(path, 1, doc.root, "object", "the file")) {
    pins = json_array(path, doc.line_of(*object), *object, "pins", "'object'");
  } else {
    pins = json_array(path, 1, doc.root, "pins", "the file");
  }
  if (!pins) fail(path, 1, 1, "not a Package.resolved: no 'pins' list");
  for (const Json& pin : *pins) {
    int line = doc.line_of(pin);
    if (!line) line = doc.line_of(*pins);
    json_expect_object(path, line, pin, "a pin");
    const std::string* identity = json_string(path, line, pin, "identity", "a pin");
    if (!identity) identity = json_string(path, line, pin, "package", "a pin");
    const std::string* location = json_string(path, line, pin, "location", "a pin");
    if (!location) location = json_string(path, line, pin, "repositoryURL", "a pin");
    const std::string* kind = json_string(path, line, pin, "kind", "a pin");
    std::string what = "pin '" + (identity ? *identity : location ? *location : std::string("?")) + "'";
    if (kind && *kind == "localSourceControl") continue;  // a checkout on this machine
    if (kind && *kind == "registry") {
      warn(out, path, line, what + " comes from a package registry, which OSV's SwiftURL does not name: not checked");
      continue;
    }
    if (!location || location->empty()) fail(path, line, 0, what + " has no repository URL");
    if (is_local_location(*location)) continue;
    const Json* state = json_object(path, line, pin, "state", what);
    const std::string* pinned = state ? json_string(path, line, *state, "version", what + " state") : nullptr;
    if (!pinned || pinned->empty()) {
      // A branch or revision pin: in the inventory with its commit, never matched (no version).
      const std::string* revision = state ? json_string(path, line, *state, "revision", what + " state") : nullptr;
      Package p = make_package(swift_url_name(*location), "", "SwiftURL", line);
      p.source_kind = "git";
      p.source = *location + (revision && !revision->empty() ? "#" + *revision : std::string());
      out.packages.push_back(std::move(p));
      continue;
    }
    out.packages.push_back(make_package(swift_url_name(*location), *pinned, "SwiftURL", line));
  }
  return out;
}

}  // namespace agent::controls::dependencies::detail
