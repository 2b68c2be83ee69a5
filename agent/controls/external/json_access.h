#pragma once
// Small typed accessors over nlohmann::json for the report parsers: missing or mistyped optional
// fields read as empty, required ones throw ReportError with the JSON path.
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "agent/controls/external/parsers.h"

namespace agent::controls::external::json_access {

using nlohmann::json;

inline json parse(std::string_view format, std::string_view text) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    if (auto p = what.find("parse error"); p != std::string::npos) what = what.substr(p);
    throw ReportError(std::string(format) + ": not valid JSON (" + what + ")");
  } catch (const json::exception& e) {  // a number out of range ("1e999") is out_of_range, not parse_error
    throw ReportError(std::string(format) + ": not valid JSON (" + e.what() + ")");
  }
}

inline const json* member(const json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

inline std::string str(const json& j, std::string_view key) {
  const json* v = member(j, key);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

inline int integer(const json& j, std::string_view key) {
  const json* v = member(j, key);
  if (!v) return 0;
  if (v->is_number_integer() || v->is_number_unsigned()) {
    auto n = v->get<long long>();
    return n < 0 || n > 1'000'000'000 ? 0 : static_cast<int>(n);
  }
  return 0;
}

/// A number given as a number or a numeric string ("7.5"), else nullopt.
inline std::optional<double> number(const json& j, std::string_view key) {
  const json* v = member(j, key);
  if (!v) return std::nullopt;
  if (v->is_number()) return v->get<double>();
  if (v->is_string()) {
    try {
      std::size_t used = 0;
      double d = std::stod(v->get<std::string>(), &used);
      if (used > 0) return d;
    } catch (...) {
    }
  }
  return std::nullopt;
}

/// The array at `key`; nullptr when absent; ReportError when present but not an array.
inline const json* array(const json& j, std::string_view key, std::string_view where) {
  const json* v = member(j, key);
  if (!v || v->is_null()) return nullptr;
  if (!v->is_array()) throw ReportError(std::string(where) + "." + std::string(key) + " is not an array");
  return v;
}

inline const json& required_array(const json& j, std::string_view key, std::string_view where) {
  const json* v = array(j, key, where);
  if (!v) throw ReportError(std::string(where) + " has no '" + std::string(key) + "' array");
  return *v;
}

inline void require_object(const json& j, const std::string& where) {
  if (!j.is_object()) throw ReportError(where + " is not an object");
}

}  // namespace agent::controls::external::json_access
