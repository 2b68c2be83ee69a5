// pdm.lock ([[package]] tables, [metadata] lock_version) and PEP 751's pylock.toml ([[packages]],
// lock-version), read with util/toml like poetry.lock and uv.lock. Neither says which packages the
// project requires itself. Packages built from the project's folders (pdm: `path`/`editable`,
// a file: URL; pylock: `directory`, an `archive` with a `path`) are its own code; VCS packages are
// kept when the lock gives their version.
#include "agent/controls/dependencies/parsers.h"
#include "agent/util/toml.h"

namespace agent::controls::dependencies::detail {

using util::parse_toml;
using util::TomlKeep;
using util::TomlTable;
using util::TomlValue;
using util::toml_string;
namespace {

constexpr const char* kPyPI = "PyPI";

// An array-of-tables entry and the sub-tables declared after it ("[packages.vcs]", ...).
struct Entry {
  const TomlTable* table = nullptr;
  std::vector<const TomlTable*> subtables;
  // Field `key` of the entry: an inline value, or a sub-table "<array>.<key>" as a table value.
  bool has(std::string_view key, std::string_view array) const {
    if (table->get(key)) return true;
    for (const TomlTable* t : subtables) {
      if (t->name.size() == array.size() + 1 + key.size() && t->name.rfind(array, 0) == 0 &&
          t->name.compare(array.size() + 1, std::string::npos, key) == 0) {
        return true;
      }
    }
    return false;
  }
};

std::vector<Entry> entries_of(const std::vector<TomlTable>& tables, std::string_view array) {
  std::vector<Entry> out;
  std::string prefix = std::string(array) + ".";
  for (const TomlTable& t : tables) {
    if (t.array && t.name == array) out.push_back({&t, {}});
    else if (!out.empty() && t.name.rfind(prefix, 0) == 0) out.back().subtables.push_back(&t);
  }
  return out;
}

}  // namespace

ParsedLockfile parse_pdm(const std::string& path, std::string_view content) {
  ParsedLockfile out;
  TomlKeep keep = [](std::string_view table, std::string_view key) {
    if (table == "package") {
      return key == "name" || key == "version" || key == "path" || key == "editable" || key == "url";
    }
    return table == "metadata" && key == "lock_version";
  };
  std::vector<TomlTable> tables = parse_toml(path, content, keep);
  out.format = "pdm.lock";
  for (const TomlTable& t : tables) {
    if (t.name != "metadata") continue;
    if (const std::string* v = toml_string(path, t, "lock_version", "[metadata]")) out.format += " v" + *v;
  }
  for (const Entry& e : entries_of(tables, "package")) {
    const std::string* name = toml_string(path, *e.table, "name", "[[package]]");
    const std::string* version = toml_string(path, *e.table, "version", "[[package]]");
    int line = name ? e.table->get("name")->line : e.table->line;
    if (!name || name->empty()) fail(path, e.table->line, 1, "[[package]] without a name");
    const std::string* url = toml_string(path, *e.table, "url", "[[package]]");
    if (e.table->get("path") || e.table->get("editable") || (url && url->rfind("file:", 0) == 0)) {
      // A local or editable package: in the inventory with its path, never matched.
      Package p = make_package(pypi_normalize(*name), version ? *version : "", kPyPI, line);
      p.source_kind = "path";
      const std::string* local = toml_string(path, *e.table, "path", "[[package]]");
      p.source = local ? *local : url ? *url : std::string();
      out.packages.push_back(std::move(p));
      continue;
    }
    if (!version || version->empty()) {
      warn(out, path, line, "package '" + *name + "' without a version is skipped");
      continue;
    }
    out.packages.push_back(make_package(pypi_normalize(*name), *version, kPyPI, line));
  }
  return out;
}

ParsedLockfile parse_pylock(const std::string& path, std::string_view content) {
  ParsedLockfile out;
  TomlKeep keep = [](std::string_view table, std::string_view key) {
    if (table.empty()) return key == "lock-version" || key == "created-by";
    if (table == "packages") {
      return key == "name" || key == "version" || key == "vcs" || key == "directory" || key == "archive";
    }
    if (table == "packages.vcs") return key == "url" || key == "commit-id";
    return (table == "packages.archive" || table == "packages.directory") && key == "path";
  };
  std::vector<TomlTable> tables = parse_toml(path, content, keep);
  const std::string* lock_version = toml_string(path, tables[0], "lock-version", "the lockfile");
  std::vector<Entry> entries = entries_of(tables, "packages");
  if (!lock_version && entries.empty()) {
    fail(path, 1, 1, "not a pylock.toml: no 'lock-version' and no [[packages]]");
  }
  out.format = lock_version ? "pylock.toml v" + *lock_version : "pylock.toml";
  for (const Entry& e : entries) {
    const std::string* name = toml_string(path, *e.table, "name", "[[packages]]");
    const std::string* version = toml_string(path, *e.table, "version", "[[packages]]");
    int line = name ? e.table->get("name")->line : e.table->line;
    if (!name || name->empty()) fail(path, e.table->line, 1, "[[packages]] without a name");
    // A field of an inline table ("vcs = { url = ... }") or of its sub-table ("[packages.vcs]").
    auto sub_field = [&](std::string_view table, std::string_view key) -> std::string {
      if (const TomlValue* v = e.table->get(table); v && v->kind == TomlValue::Kind::table)
        if (const TomlValue* f = v->get(key); f && f->kind == TomlValue::Kind::string) return f->text;
      for (const TomlTable* t : e.subtables)
        if (t->name == "packages." + std::string(table))
          if (const TomlValue* f = t->get(key); f && f->kind == TomlValue::Kind::string) return f->text;
      return {};
    };
    auto inventory_only = [&](const char* kind, std::string source) {
      Package p = make_package(pypi_normalize(*name), version ? *version : "", kPyPI, line);
      p.source_kind = kind;
      p.source = std::move(source);
      out.packages.push_back(std::move(p));
    };
    if (e.has("directory", "packages")) {
      const std::string dir = sub_field("directory", "path");
      if (dir != "." && dir != "./") inventory_only("path", dir);  // "." is the project itself
      continue;
    }
    const TomlValue* archive = e.table->get("archive");
    bool local_archive = archive && archive->get("path") && !archive->get("url");
    for (const TomlTable* t : e.subtables) {
      if (t->name == "packages.archive" && t->get("path")) local_archive = true;
    }
    if (local_archive) {
      inventory_only("path", sub_field("archive", "path"));
      continue;
    }
    if (e.has("vcs", "packages")) {
      const std::string commit = sub_field("vcs", "commit-id");
      inventory_only("git", sub_field("vcs", "url") + (commit.empty() ? "" : "#" + commit));
      continue;
    }
    if (!version || version->empty()) {
      warn(out, path, line, "package '" + *name + "' has no version, not checked");
      continue;
    }
    out.packages.push_back(make_package(pypi_normalize(*name), *version, kPyPI, line));
  }
  return out;
}

}  // namespace agent::controls::dependencies::detail
