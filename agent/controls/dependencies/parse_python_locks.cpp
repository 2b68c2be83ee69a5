// poetry.lock and uv.lock ([[package]] tables, read with util/toml) and Pipfile.lock (JSON).
#include <set>

#include "agent/controls/dependencies/json_lines.h"
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

// One [[package]] table with the sub-tables that follow it ([package.source], ...).
struct TomlPackage {
  const TomlTable* table = nullptr;
  std::vector<const TomlTable*> subtables;
};

std::vector<TomlPackage> toml_packages(const std::vector<TomlTable>& tables) {
  std::vector<TomlPackage> out;
  for (const TomlTable& t : tables) {
    if (t.array && t.name == "package") {
      out.push_back({&t, {}});
    } else if (!out.empty() && t.name.rfind("package.", 0) == 0) {
      out.back().subtables.push_back(&t);
    }
  }
  return out;
}

const TomlTable* subtable(const TomlPackage& pkg, std::string_view name) {
  for (const TomlTable* t : pkg.subtables) {
    if (t->name == name) return t;
  }
  return nullptr;
}

// Name and version of a [[package]]; false (with a warning) when either is missing.
bool name_and_version(const std::string& path, const TomlPackage& pkg, ParsedLockfile& out,
                      std::string& name, std::string& version, int& line, bool warn_missing = true) {
  const std::string* n = toml_string(path, *pkg.table, "name", "[[package]]");
  const std::string* v = toml_string(path, *pkg.table, "version", "[[package]]");
  line = n ? pkg.table->get("name")->line : pkg.table->line;
  if (!n || !v || n->empty() || v->empty()) {
    if (warn_missing) warn(out, path, line, "[[package]] without a name and version is skipped");
    return false;
  }
  name = pypi_normalize(*n);
  version = *v;
  return true;
}

}  // namespace

ParsedLockfile parse_poetry(const std::string& path, std::string_view content) {
  ParsedLockfile out;
  TomlKeep keep = [](std::string_view table, std::string_view key) {
    return (table == "package" && (key == "name" || key == "version")) ||
           (table == "package.source" &&
            (key == "type" || key == "url" || key == "reference" || key == "resolved_reference")) ||
           (table == "metadata" && key == "lock-version");
  };
  std::vector<TomlTable> tables = parse_toml(path, content, keep);
  out.format = "poetry.lock";
  for (const TomlTable& t : tables) {
    if (t.name == "metadata") {
      if (const std::string* v = toml_string(path, t, "lock-version", "[metadata]")) {
        out.format += " v" + *v;
      }
    }
  }
  for (const TomlPackage& pkg : toml_packages(tables)) {
    std::string name, version;
    int line = 0;
    if (!name_and_version(path, pkg, out, name, version, line)) continue;
    Package p = make_package(std::move(name), std::move(version), kPyPI, line);
    if (const TomlTable* source = subtable(pkg, "package.source")) {
      // git, directory, file, url: not the registry; legacy (a private index) is one.
      const std::string* type = toml_string(path, *source, "type", "[package.source]");
      const std::string* url = toml_string(path, *source, "url", "[package.source]");
      if (type && url && *type != "legacy") {
        p.source_kind = *type == "git" ? "git" : *type == "url" ? "url" : "path";
        p.source = *url;
        const std::string* commit = toml_string(path, *source, "resolved_reference", "[package.source]");
        if (!commit) commit = toml_string(path, *source, "reference", "[package.source]");
        if (p.source_kind == "git" && commit && !commit->empty()) p.source += "#" + *commit;
      }
    }
    out.packages.push_back(std::move(p));
  }
  return out;
}

ParsedLockfile parse_uv(const std::string& path, std::string_view content) {
  ParsedLockfile out;
  TomlKeep keep = [](std::string_view table, std::string_view key) {
    if (table.empty()) return key == "version";
    if (table == "package") {
      return key == "name" || key == "version" || key == "source" || key == "dependencies";
    }
    return table == "package.optional-dependencies" || table == "package.dev-dependencies";
  };
  std::vector<TomlTable> tables = parse_toml(path, content, keep);
  out.format = "uv.lock";
  if (const TomlValue* version = tables[0].get("version")) out.format += " v" + version->text;
  std::vector<TomlPackage> packages = toml_packages(tables);

  // The project and workspace members have a local source: what they depend on is direct.
  auto is_local = [](const TomlPackage& pkg) {
    const TomlValue* source = pkg.table->get("source");
    if (!source || source->kind != TomlValue::Kind::table) return false;
    for (const char* kind : {"virtual", "editable", "directory", "path"}) {
      if (source->get(kind)) return true;
    }
    return false;
  };
  std::set<std::string> direct;
  bool direct_known = false;
  auto add_names = [&](const TomlValue* list) {
    if (!list || list->kind != TomlValue::Kind::array) return;
    for (const TomlValue& dep : list->items) {
      const TomlValue* name = dep.get("name");
      if (name && name->kind == TomlValue::Kind::string) direct.insert(pypi_normalize(name->text));
    }
  };
  for (const TomlPackage& pkg : packages) {
    if (!is_local(pkg)) continue;
    direct_known = true;
    add_names(pkg.table->get("dependencies"));
    for (const char* group : {"package.optional-dependencies", "package.dev-dependencies"}) {
      if (const TomlTable* t = subtable(pkg, group)) {
        for (const auto& field : t->fields) add_names(&field.second);
      }
    }
  }
  for (const TomlPackage& pkg : packages) {
    std::string name, version;
    int line = 0;
    bool local = is_local(pkg);
    if (!name_and_version(path, pkg, out, name, version, line, !local)) {
      if (!local) continue;
      // A workspace member without a version: named, from its path.
      const TomlValue* n = pkg.table->get("name");
      if (!n || n->kind != TomlValue::Kind::string || n->text.empty()) continue;
      name = pypi_normalize(n->text);
      line = n->line;
    }
    bool is_direct = direct.count(name) > 0;
    Package p = make_package(name, std::move(version), kPyPI, line, direct_known, is_direct);
    if (const TomlValue* source = pkg.table->get("source"); source && source->kind == TomlValue::Kind::table) {
      for (const char* kind : {"git", "url", "path", "directory", "editable", "virtual"}) {
        const TomlValue* v = source->get(kind);
        if (!v || v->kind != TomlValue::Kind::string) continue;
        p.source_kind = std::string_view(kind) == "git" ? "git" : std::string_view(kind) == "url" ? "url" : "path";
        p.source = v->text;  // uv writes git sources as "url?rev=...#<commit>"
        break;
      }
    }
    // The project itself (its source is ".") is not one of its dependencies.
    if (local && (p.source == "." || p.source.empty())) continue;
    out.packages.push_back(std::move(p));
  }
  return out;
}

ParsedLockfile parse_pipfile(const std::string& path, std::string_view content) {
  ParsedLockfile out;
  out.format = "Pipfile.lock";
  JsonDoc doc = parse_json(path, content);
  json_expect_object(path, 1, doc.root, "a Pipfile.lock");
  for (const char* group : {"default", "develop"}) {
    const Json* section = json_object(path, 1, doc.root, group, "the lockfile");
    if (!section) continue;
    for (const auto& [name, entry] : section->items()) {
      int line = doc.line_of(entry);
      std::string what = "package '" + name + "'";
      json_expect_object(path, line, entry, what);
      const std::string* version = json_string(path, line, entry, "version", what);
      Package p = make_package(pypi_normalize(name), {}, kPyPI, line);
      // git, path, file and editable entries carry no version but a source.
      if (const std::string* git = json_string(path, line, entry, "git", what)) {
        p.source_kind = "git";
        p.source = *git;
        if (const std::string* ref = json_string(path, line, entry, "ref", what); ref && !ref->empty())
          p.source += "#" + *ref;
      } else if (const std::string* local = json_string(path, line, entry, "path", what)) {
        p.source_kind = "path";
        p.source = *local;
      } else if (const std::string* file = json_string(path, line, entry, "file", what)) {
        p.source_kind = file->find("://") != std::string::npos && !file->starts_with("file:") ? "url" : "path";
        p.source = *file;
      }
      if (version) {
        std::string_view v = *version;
        if (v.rfind("===", 0) == 0) v.remove_prefix(3);
        else if (v.rfind("==", 0) == 0) v.remove_prefix(2);
        else v = {};
        if (!v.empty()) p.version = std::string(trim(v));
        else if (*version != "*") p.requirement = *version;
        if (p.version.empty() && p.source_kind.empty())
          warn(out, path, line, what + ": version '" + *version + "' is not pinned with '=='");
      }
      out.packages.push_back(std::move(p));
    }
  }
  return out;
}

}  // namespace agent::controls::dependencies::detail
