#include "agent/config/osv_scanner_config.h"

#include <algorithm>
#include <cctype>

#include "agent/util/error.h"
#include "agent/util/toml.h"

namespace agent::config {
namespace {

[[noreturn]] void fail(const std::string& file, int line, const std::string& message) {
  throw util::UsageError(util::at(file, line, 0, message));
}

bool is_date_char(char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '-'; }

// "2022-11-09", "2022-11-09T00:00:00Z" or the same quoted: the date, checked.
std::string date_of(const std::string& file, const util::TomlValue& v, std::string_view key) {
  std::string text = v.text;
  if (text.size() >= 10) text.resize(10);
  const bool shape = text.size() == 10 && text[4] == '-' && text[7] == '-' &&
                     std::all_of(text.begin(), text.end(), is_date_char);
  if (!shape || (v.kind != util::TomlValue::Kind::scalar && v.kind != util::TomlValue::Kind::string))
    fail(file, v.line, "'" + std::string(key) + "' must be a date (YYYY-MM-DD), not " + v.text);
  const int month = std::stoi(text.substr(5, 2)), day = std::stoi(text.substr(8, 2));
  if (month < 1 || month > 12 || day < 1 || day > 31)
    fail(file, v.line, "'" + std::string(key) + "' is not a real date: " + v.text);
  return text;
}

std::string text_of(const std::string& file, const util::TomlValue& v, std::string_view key) {
  if (v.kind != util::TomlValue::Kind::string) fail(file, v.line, "'" + std::string(key) + "' must be a string");
  return v.text;
}

bool bool_of(const std::string& file, const util::TomlValue& v, std::string_view key) {
  if (v.kind == util::TomlValue::Kind::scalar && (v.text == "true" || v.text == "false")) return v.text == "true";
  fail(file, v.line, "'" + std::string(key) + "' must be true or false");
}

[[noreturn]] void unknown_key(const std::string& file, int line, std::string_view table, std::string_view key,
                              std::string_view known) {
  fail(file, line, "unknown key '" + std::string(key) + "' in " + std::string(table) + " (expected " +
                       std::string(known) + ")");
}

}  // namespace

bool is_osv_scanner_config(std::string_view path) {
  return path.size() >= 5 && path.substr(path.size() - 5) == ".toml";
}

Ignores parse_osv_scanner_config(std::string_view toml, const std::string& file) {
  Ignores out;
  out.file = file;
  // Package overrides, and whether each ignores its package's vulnerabilities (an override may set
  // only a license, and [PackageOverrides.vulnerability] may say ignore = true after the fact).
  std::vector<std::pair<IgnoreEntry, bool>> overrides;
  for (const util::TomlTable& t : util::parse_toml(file, toml)) {
    if (t.name.empty()) {
      for (const auto& [key, value] : t.fields)
        if (key != "GoVersionOverride")
          unknown_key(file, value.line, "the top level", key, "[[IgnoredVulns]], [[PackageOverrides]]");
      continue;
    }
    if (t.name == "PackageOverrides.license" || t.name == "PackageOverrides.vulnerability") {
      if (t.name == "PackageOverrides.vulnerability") {
        for (const auto& [key, value] : t.fields) {
          if (key != "ignore") unknown_key(file, value.line, "[PackageOverrides.vulnerability]", key, "ignore");
          if (bool_of(file, value, key) && !overrides.empty()) overrides.back().second = true;
        }
      }
      continue;  // license overrides: nothing to do for vulnerabilities
    }
    if (t.name == "IgnoredVulns") {
      if (!t.array) fail(file, t.line, "IgnoredVulns must be an array of tables: [[IgnoredVulns]]");
      IgnoreEntry e;
      e.reason = IgnoreReason::accepted_risk;
      for (const auto& [key, value] : t.fields) {
        if (key == "id") e.advisory = text_of(file, value, key);
        else if (key == "reason") e.comment = text_of(file, value, key);
        else if (key == "ignoreUntil") e.expires = date_of(file, value, key);
        else unknown_key(file, value.line, "[[IgnoredVulns]]", key, "id, ignoreUntil, reason");
      }
      if (e.advisory.empty()) fail(file, t.line, "[[IgnoredVulns]] needs an 'id' (e.g. id = \"GHSA-xxxx-xxxx-xxxx\")");
      e.line = t.line;
      e.source = file + ":" + std::to_string(t.line);
      out.entries.push_back(std::move(e));
      continue;
    }
    if (t.name == "PackageOverrides") {
      if (!t.array) fail(file, t.line, "PackageOverrides must be an array of tables: [[PackageOverrides]]");
      IgnoreEntry e;
      e.reason = IgnoreReason::accepted_risk;
      bool ignore = false;
      for (const auto& [key, value] : t.fields) {
        if (key == "name") e.package = text_of(file, value, key);
        else if (key == "version") e.version = text_of(file, value, key);
        else if (key == "ecosystem") e.ecosystem = text_of(file, value, key);
        else if (key == "group") (void)text_of(file, value, key);  // dependency groups: not known here
        else if (key == "ignore" || key == "vulnerability.ignore") ignore = ignore || bool_of(file, value, key);
        else if (key == "effectiveUntil") e.expires = date_of(file, value, key);
        else if (key == "reason") e.comment = text_of(file, value, key);
        else if (key.rfind("license.", 0) == 0) continue;
        else
          unknown_key(file, value.line, "[[PackageOverrides]]", key,
                      "name, version, ecosystem, group, ignore, vulnerability.ignore, license, effectiveUntil, reason");
      }
      e.line = t.line;
      e.source = file + ":" + std::to_string(t.line);
      if (e.package.empty() && e.ecosystem.empty())
        fail(file, t.line, "[[PackageOverrides]] needs a 'name' or an 'ecosystem' to match packages by");
      overrides.emplace_back(std::move(e), ignore);
      continue;
    }
    fail(file, t.line, "unknown table [" + t.name + "] (expected [[IgnoredVulns]] or [[PackageOverrides]])");
  }
  // Overrides that set only a license ignore nothing.
  for (auto& [e, ignore] : overrides)
    if (ignore) out.entries.push_back(std::move(e));
  std::stable_sort(out.entries.begin(), out.entries.end(),
                   [](const IgnoreEntry& a, const IgnoreEntry& b) { return a.line < b.line; });
  return out;
}

}  // namespace agent::config
