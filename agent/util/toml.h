#pragma once
// A small TOML reader for lockfiles (poetry.lock, Cargo.lock, uv.lock) and gitleaks configs: tables and arrays of
// tables in file order, each with its key/value pairs and lines. It reads all of TOML's value
// syntax (strings of the four kinds, arrays, inline tables, bare scalars) but does not type-check
// scalars, merge dotted keys into nested tables, or reject redefinitions: lockfiles are generated.
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agent::util {

struct TomlValue {
  enum class Kind { string, scalar, array, table };
  Kind kind = Kind::scalar;
  std::string text;                                       ///< string contents, or raw scalar text
  std::vector<TomlValue> items;                           ///< array elements
  std::vector<std::pair<std::string, TomlValue>> fields;  ///< inline table ("a.b" for dotted keys)
  int line = 0;                                           ///< 1-based line where the value starts

  // Defined in toml.cpp, where TomlValue is complete: clang 14 with libstdc++ 12 rejects the
  // implicit ones (they destroy a std::pair holding the still incomplete TomlValue).
  TomlValue();
  TomlValue(const TomlValue&);
  TomlValue(TomlValue&&) noexcept;
  TomlValue& operator=(const TomlValue&);
  TomlValue& operator=(TomlValue&&) noexcept;
  ~TomlValue();

  /// Field of an inline table; nullptr when absent (or not a table).
  const TomlValue* get(std::string_view key) const;
};

struct TomlTable {
  std::string name;    ///< "" for the root table, else the header ("package", "package.source")
  bool array = false;  ///< declared with [[name]]
  int line = 1;        ///< line of the header
  std::vector<std::pair<std::string, TomlValue>> fields;
  /// Value of key `key` (the last one when repeated); nullptr when absent.
  const TomlValue* get(std::string_view key) const;
};

/// Whether to keep key `key` of table `table` ("" for the root); dropped values are still read
/// (and must be valid) but not stored.
using TomlKeep = std::function<bool(std::string_view table, std::string_view key)>;

/// Parses `content`; throws util::UsageError "path:line:col: ..." on syntax errors.
std::vector<TomlTable> parse_toml(const std::string& path, std::string_view content, const TomlKeep& keep = {});

/// String field `key` of `table`: nullptr when absent; throws "path:line: 'key' of <what> must be
/// a string" when of another kind.
const std::string* toml_string(const std::string& path, const TomlTable& table, std::string_view key,
                               std::string_view what);

}  // namespace agent::util
