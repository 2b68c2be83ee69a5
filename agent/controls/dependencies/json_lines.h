#pragma once
// JSON for lockfiles: nlohmann::json plus the line where each object/array was declared, one pass.
//
// nlohmann's SAX parser reads through an iterator that counts newlines, so when an object starts
// we know the line of its key (or of its '{' in an array). Members the caller does not need can
// be dropped while parsing (a 100 MB package-lock.json then costs far less memory than its DOM).
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <nlohmann/json.hpp>

namespace agent::controls::dependencies::detail {

using Json = nlohmann::json;

/// Whether to keep member `key` of an object at `depth` (1: members of the root object).
using JsonKeep = std::function<bool(std::size_t depth, std::string_view key)>;

struct JsonDoc {
  Json root;
  std::unordered_map<const void*, int> lines;  ///< by the object_t/array_t of each container
  /// Line of the key that introduced object or array `value` (of its '{'/'[' inside an array);
  /// 0 for other values.
  int line_of(const Json& value) const;
};

/// Parses `content`; throws util::UsageError "path:line:col: ..." on malformed JSON or nesting
/// deeper than 512 levels. `keep` (optional) filters object members while parsing.
JsonDoc parse_json(const std::string& path, std::string_view content, const JsonKeep& keep = {});

/// Name of a JSON value's type for messages ("a string", "a number", ...).
std::string json_type_name(const Json& value);

/// Member `key` of object `obj` as a string; nullptr when absent or null; throws
/// "path:line: 'key' of <what> must be a string, not a number" when of another type.
const std::string* json_string(const std::string& path, int line, const Json& obj,
                               std::string_view key, std::string_view what);

/// Member `key` of `obj` when it is an object; nullptr when absent or null; throws otherwise.
const Json* json_object(const std::string& path, int line, const Json& obj, std::string_view key,
                        std::string_view what);

/// Member `key` of `obj` when it is an array; nullptr when absent or null; throws otherwise.
const Json* json_array(const std::string& path, int line, const Json& obj, std::string_view key,
                       std::string_view what);

/// Member `key` of `obj` as a boolean; false when absent or null; throws when not a boolean.
bool json_bool(const std::string& path, int line, const Json& obj, std::string_view key,
               std::string_view what);

/// Throws "path:line: <what> must be an object, not ..." unless `value` is an object.
void json_expect_object(const std::string& path, int line, const Json& value, std::string_view what);

}  // namespace agent::controls::dependencies::detail
