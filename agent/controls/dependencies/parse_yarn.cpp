// yarn.lock: classic (v1, `version "1.0.0"`) and berry (YAML-like, `version: 1.0.0`), line by line.
// Every entry is a package; git, file:, link:, portal: and workspace entries (not the project's own
// `workspace:.`) and tarball URLs carry their source (classic: from `resolved` or the descriptor,
// berry: from the resolution).
#include <algorithm>
#include <cctype>
#include <unordered_set>
#include <vector>

#include "agent/controls/dependencies/parsers.h"

namespace agent::controls::dependencies::detail {
namespace {

constexpr const char* kNpm = "npm";

struct Entry {
  int line = 0;
  std::vector<std::string> specs;  // "name@range" descriptors of the header
  std::string version;
  std::string resolution;          // berry
  std::string resolved;            // classic
  std::vector<std::string> dependencies;  // berry: "name@range" of the entry's dependency blocks
};

std::string_view unquote(std::string_view s) {
  s = trim(s);
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) {
    return s.substr(1, s.size() - 2);
  }
  return s;
}

// "key value", "key: value", "\"key\" \"value\"", "key:" -> key and value (value may be empty).
bool split_field(std::string_view text, std::string_view& key, std::string_view& value) {
  if (text.empty()) return false;
  std::size_t end;
  if (text[0] == '"') {
    end = text.find('"', 1);
    if (end == std::string_view::npos) return false;
    key = text.substr(1, end - 1);
    ++end;
  } else {
    end = text.find_first_of(" :");
    if (end == std::string_view::npos) end = text.size();
    key = text.substr(0, end);
  }
  std::string_view rest = text.substr(end);
  if (!rest.empty() && rest[0] == ':') rest.remove_prefix(1);
  value = unquote(rest);
  return !key.empty();
}

// The package name of a descriptor "name@range" ("@scope/name@range"); the whole text if no range.
std::string_view descriptor_name(std::string_view spec) {
  std::size_t at = spec.find('@', 1);
  return at == std::string_view::npos ? spec : spec.substr(0, at);
}

// Berry writes ranges without a protocol as npm ranges in entry headers.
std::string normalize_descriptor(std::string_view name, std::string_view range) {
  std::string out(name);
  out += '@';
  if (range.find(':') == std::string_view::npos) out += "npm:";
  out += range;
  return out;
}

std::string normalize_descriptor(std::string_view spec) {
  std::string_view name = descriptor_name(spec);
  if (name.size() == spec.size()) return std::string(spec);
  return normalize_descriptor(name, spec.substr(name.size() + 1));
}

bool is_local_descriptor(std::string_view descriptor) {
  for (std::string_view proto : {"@workspace:", "@link:", "@portal:", "@file:"}) {
    if (descriptor.find(proto) != std::string_view::npos) return true;
  }
  return false;
}

// Berry says so in the resolution; classic only in the header ("name@file:../dir").
bool is_local(const Entry& e) {
  if (!e.resolution.empty()) return is_local_descriptor(e.resolution);
  for (const std::string& spec : e.specs) {
    if (is_local_descriptor(spec)) return true;
  }
  return e.resolved.rfind("file:", 0) == 0;
}

// Berry's "name@range" resolution, or classic's `resolved` and else its descriptors.
NpmSource entry_source(const Entry& e) {
  if (!e.resolution.empty()) {
    std::string_view name = descriptor_name(e.resolution);
    std::string_view range = std::string_view(e.resolution).substr(std::min(e.resolution.size(), name.size() + 1));
    if (range.starts_with("npm:") || range.starts_with("patch:")) return {};
    NpmSource s = npm_source(range);
    if (s.kind == "path") s.location = s.location.substr(0, s.location.find("::"));  // "::locator=..."
    if (s.kind == "path" && s.location.find('#') != std::string::npos)
      s.location = s.location.substr(0, s.location.find('#'));
    return s;
  }
  for (const std::string& spec : e.specs) {
    std::string_view name = descriptor_name(spec);
    NpmSource s = npm_source(std::string_view(spec).substr(std::min(spec.size(), name.size() + 1)));
    if (s.kind == "path") return s;
  }
  if (!e.resolved.empty()) return npm_source(e.resolved);
  return {};
}

}  // namespace

ParsedLockfile parse_yarn(const std::string& path, std::string_view content) {
  ParsedLockfile out;
  std::vector<Entry> entries;
  bool berry = false;
  std::string metadata_version;
  Entry* current = nullptr;
  bool in_metadata = false;
  bool in_dependency_block = false;

  LineReader lines(content);
  std::string_view line;
  while (lines.next(line)) {
    std::string_view body = trim(line);
    if (body.empty() || body[0] == '#') continue;
    std::size_t indent = line.find_first_not_of(' ');
    if (indent == 0) {
      if (body.back() != ':') {
        fail(path, lines.number(), 1, "expected an entry header ending with ':'");
      }
      body.remove_suffix(1);
      in_dependency_block = false;
      current = nullptr;
      in_metadata = body == "__metadata";
      if (in_metadata) {
        berry = true;
        continue;
      }
      entries.emplace_back();
      current = &entries.back();
      current->line = lines.number();
      std::size_t start = 0;
      while (start <= body.size()) {
        std::size_t comma = body.find(',', start);
        if (comma == std::string_view::npos) comma = body.size();
        std::string_view spec = unquote(unquote(body.substr(start, comma - start)));
        if (!spec.empty() && spec.front() == '"') spec.remove_prefix(1);
        if (!spec.empty() && spec.back() == '"') spec.remove_suffix(1);
        if (!spec.empty()) current->specs.emplace_back(spec);
        start = comma + 1;
      }
      continue;
    }
    if (!current && !in_metadata) fail(path, lines.number(), 1, "indented line outside of an entry");
    std::string_view key, value;
    if (!split_field(body, key, value)) fail(path, lines.number(), static_cast<int>(indent) + 1,
                                             "expected a field");
    if (in_metadata) {
      if (key == "version") metadata_version = std::string(value);
      continue;
    }
    if (indent <= 2) {
      in_dependency_block = value.empty() && (key == "dependencies" || key == "devDependencies" ||
                                              key == "optionalDependencies");
      if (key == "version") current->version = std::string(value);
      else if (key == "resolution") current->resolution = std::string(value);
      else if (key == "resolved") current->resolved = std::string(value);
    } else if (in_dependency_block) {
      current->dependencies.push_back(normalize_descriptor(key, value));
    }
  }

  // Berry lists each workspace with its dependencies: those descriptors are the direct ones.
  std::unordered_set<std::string> direct;
  bool direct_known = false;
  for (const Entry& e : entries) {
    if (e.resolution.find("@workspace:") == std::string::npos) continue;
    direct_known = true;
    direct.insert(e.dependencies.begin(), e.dependencies.end());
  }
  for (const Entry& e : entries) {
    if (e.specs.empty()) continue;
    NpmSource source = entry_source(e);
    if (source.kind == "path" && (source.location == "." || source.location.empty()) &&
        e.resolution.find("@workspace:") != std::string::npos) {
      continue;  // the project itself
    }
    if (source.kind.empty() && is_local(e)) source.kind = "path";
    if (e.version.empty() && source.kind.empty()) {
      warn(out, path, e.line, "entry without a version is skipped");
      continue;
    }
    std::string name;
    if (!e.resolution.empty()) {
      name = std::string(descriptor_name(e.resolution));
    } else {
      std::string_view spec = e.specs.front();
      std::string_view alias = descriptor_name(spec);
      name = std::string(alias);
      std::string_view range = spec.substr(std::min(spec.size(), alias.size() + 1));
      if (range.rfind("npm:", 0) == 0 && range.find('@', 5) != std::string_view::npos) {
        name = std::string(descriptor_name(range.substr(4)));
      }
    }
    bool is_direct = false;
    for (const std::string& spec : e.specs) is_direct = is_direct || direct.count(normalize_descriptor(spec));
    std::string version = e.version.find("-use.local") != std::string::npos ? std::string() : e.version;
    Package p = make_package(name, std::move(version), kNpm, e.line, direct_known, is_direct);
    p.source_kind = std::move(source.kind);
    p.source = std::move(source.location);
    out.packages.push_back(std::move(p));
  }
  out.format = berry ? "yarn.lock berry" + (metadata_version.empty() ? "" : " (v" + metadata_version + ")")
                     : "yarn.lock v1";
  return out;
}

}  // namespace agent::controls::dependencies::detail
