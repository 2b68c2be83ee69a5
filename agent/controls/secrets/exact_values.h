#pragma once
// Exact secret values (the group's own CI/CD variable values) found verbatim, base64-encoded or
// URL-encoded in scanned text. Every form of every value is one literal of a Vectorscan database
// compiled in memory for the job: the values are never written anywhere, and a finding names the
// variable, never any part of its value.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/findings/finding.h"

namespace agent::controls::secrets {

/// The rule id of every finding this matcher makes.
inline constexpr std::string_view kVariableRuleId = "ci-variable-value";

/// One value to find and the variable it belongs to (`variable.form` is filled per match).
struct SecretValue {
  findings::VariableDetail variable;
  std::string value;
};

/// Values shorter than this (after trimming surrounding white space) are never matched: GitLab
/// masks only values of 8 characters or more, and shorter ones match too much by chance.
inline constexpr std::size_t kMinValueLength = 8;

/// The literals searched for one value: the value itself; its base64 (standard and URL-safe
/// alphabets) at each of the 3 alignments it can have inside a longer base64 text, keeping only
/// the characters the value alone decides; its percent-encoding (upper- and lower-case hex, `+`
/// for spaces); its hex; its JSON string escaping; for a multi-line value (a file variable), each
/// line of 24 characters or more, with no blank, that looks random (4 bits of entropy per
/// character or more). Each with the form it stands for ("plain", "base64", "percent", "hex",
/// "json", "line"). Identical literals are listed once.
struct ValueForm {
  std::string literal;
  std::string form;
};
std::vector<ValueForm> value_forms(std::string_view value);

class ExactValues {
 public:
  /// Compiles every form of every value of `values` (those of kMinValueLength or more) into one
  /// in-memory database. Throws util::RuntimeError when Vectorscan refuses (never names a value).
  explicit ExactValues(std::vector<SecretValue> values);
  /// Overwrites the values in memory before freeing them.
  ~ExactValues();
  ExactValues(const ExactValues&) = delete;
  ExactValues& operator=(const ExactValues&) = delete;

  /// Variables with at least one literal.
  std::size_t variables() const;
  /// Literals compiled.
  std::size_t literals() const;

  /// Per-thread scratch space; not thread-safe.
  class Scratch {
   public:
    ~Scratch();
    struct Impl;
    std::unique_ptr<Impl> impl;
  };
  std::unique_ptr<Scratch> make_scratch() const;

  /// Appends one critical `ci-variable-value` finding per match in `data` (the whole content of
  /// `path`): 1-based line and byte columns, the variable with the form that matched, a
  /// fingerprint from the variable (level, owner, key) and the path, no secret text. A plain match
  /// touching a letter or digit on a side where the value has one is part of a longer word and is
  /// not a match. Overlapping matches of the same variable count once.
  void scan(std::string_view data, std::string_view path, Scratch& scratch,
            std::vector<findings::Finding>& out) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The `ci-variable-value` finding for `variable` at [begin, end) of `data` (exposed for tests).
findings::Finding variable_finding(const findings::VariableDetail& variable, std::string_view data,
                                   std::string_view path, std::size_t begin, std::size_t end, unsigned occurrence);

}  // namespace agent::controls::secrets
