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
           (table == "package.source" && key == "type") || (table == "metadata" && key == "lock-version");
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
    if (const TomlTable* source = subtable(pkg, "package.source")) {
      const std::string* type = toml_string(path, *source, "type", "[package.source]");
      if (type && (*type == "directory" || *type == "file")) continue;  // local code
    }
    out.packages.push_back(make_package(std::move(name), std::move(version), kPyPI, line));
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
    if (!name_and_version(path, pkg, out, name, version, line, !local) || local) continue;
    bool is_direct = direct.count(name) > 0;
    out.packages.push_back(make_package(name, std::move(version), kPyPI, line, direct_known, is_direct));
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
      if (!version) continue;  // git, path and editable entries carry no version
      std::string_view v = *version;
      if (v.rfind("===", 0) == 0) v.remove_prefix(3);
      else if (v.rfind("==", 0) == 0) v.remove_prefix(2);
      else {
        warn(out, path, line, what + ": version '" + *version + "' is not pinned with '=='");
        continue;
      }
      out.packages.push_back(make_package(pypi_normalize(name), std::string(trim(v)), kPyPI, line));
    }
  }
  return out;
}

}  // namespace agent::controls::dependencies::detail
