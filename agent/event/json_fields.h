#pragma once
// Reading fields of a JSON payload by JSON pointer, with errors that name the source and the
// field ("TRIGGER_PAYLOAD (/tmp/x.json): /object_attributes/iid missing"). Internal to event/.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace agent::event {

class JsonFields {
 public:
  JsonFields(const nlohmann::json& doc, std::string source) : doc_(doc), source_(std::move(source)) {}

  /// Throws util::UsageError "<source>: <pointer> <problem>".
  [[noreturn]] void fail(std::string_view pointer, std::string_view problem) const;

  /// The value at `pointer`, or nullptr when absent or null.
  const nlohmann::json* find(std::string_view pointer) const;
  bool has(std::string_view pointer) const { return find(pointer) != nullptr; }

  /// A required non-empty string.
  std::string str(std::string_view pointer) const;
  /// An optional string ("" when absent or null); a non-string is an error.
  std::string opt_str(std::string_view pointer) const;
  /// A required integer (GitLab ids; a string of digits is accepted, some relays quote ids).
  std::int64_t integer(std::string_view pointer) const;
  /// An optional integer (0 when absent or null).
  std::int64_t opt_int(std::string_view pointer) const;
  /// An optional boolean (false when absent or null).
  bool opt_bool(std::string_view pointer) const;
  /// A required object.
  const nlohmann::json& object(std::string_view pointer) const;
  /// A required full commit sha (40 or 64 hex characters).
  std::string sha(std::string_view pointer) const;
  /// An optional full commit sha ("" when absent, null or empty).
  std::string opt_sha(std::string_view pointer) const;

  const std::string& source() const { return source_; }

 private:
  const nlohmann::json& doc_;
  std::string source_;
};

/// Parses `text`; throws util::UsageError "<source>: not valid JSON (line L, column C): ..."
/// or "<source>: the document must be a JSON object".
nlohmann::json parse_json_object(std::string_view text, std::string_view source);

}  // namespace agent::event
