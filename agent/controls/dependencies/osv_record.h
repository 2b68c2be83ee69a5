#pragma once
// An OSV record reduced to what matching and reporting need, validated against the OSV schema's
// rules (../shared/data/osv/osv-schema.json) and the ecosystems' version syntax.
#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agent::controls::dependencies {

struct OsvEvent {
  enum class Kind : char { introduced = 'i', fixed = 'f', last_affected = 'l', limit = 'm' };
  Kind kind = Kind::introduced;
  std::string version;
};

struct OsvRange {
  enum class Type : char { semver = 'S', ecosystem = 'E' };  ///< GIT ranges are not kept
  Type type = Type::ecosystem;
  std::vector<OsvEvent> events;
};

struct OsvSeverity {
  std::string type;   ///< CVSS_V2, CVSS_V3, CVSS_V4, Ubuntu
  std::string score;  ///< the vector (or Ubuntu priority)
};

/// One entry of `affected[]` that names a package.
struct OsvAffected {
  std::string ecosystem;               ///< as written, suffix included ("Maven:https://...")
  std::string name;
  std::vector<std::string> versions;
  std::vector<OsvRange> ranges;
  std::vector<OsvSeverity> severity;   ///< per-package severity, when the record has it
  /// A level the entry spells in words: ecosystem_specific.severity (Android's "Critical", ...) or
  /// database_specific.severity of the entry; empty when neither is a string.
  std::string label;
};

struct OsvRecord {
  std::string id;
  std::string modified;
  std::string published;
  std::string withdrawn;               ///< empty when not withdrawn
  std::string summary;
  std::string details;
  std::vector<std::string> aliases;
  std::vector<OsvSeverity> severity;
  std::string database_severity;       ///< database_specific.severity ("HIGH", "MODERATE", ...)
  std::vector<std::string> cwes;       ///< database_specific.cwe_ids
  std::vector<std::string> references; ///< reference URLs
  std::vector<OsvAffected> affected;   ///< entries without a package are dropped
};

/// The result of reading one record: the record (nullopt when it was skipped) and the
/// problems found, each a full sentence naming `source` (file, or zip:entry).
struct OsvParseResult {
  std::optional<OsvRecord> record;
  std::vector<std::string> warnings;
};

/// Validates one OSV document. Structural errors (missing id/modified, bad timestamps, events
/// with two keys, ranges without "introduced", ...) skip the record; versions that are not valid
/// for their ecosystem are dropped (a range holding one is dropped whole) with a warning.
OsvParseResult parse_osv_record(const nlohmann::json& doc, const std::string& source);

/// Parses JSON text then validates it; a JSON syntax error names source:line:col.
OsvParseResult parse_osv_text(std::string_view text, const std::string& source);

}  // namespace agent::controls::dependencies
