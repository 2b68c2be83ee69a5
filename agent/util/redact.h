#pragma once
// Redaction of credentials from anything that leaves the process (logs, errors, reports, comments).
#include <string>
#include <string_view>
#include <vector>

namespace agent::util {

/// Replaces the user-info part of every URL in `text` ("https://user:pw@host" -> "https://***@host").
std::string redact_urls(std::string_view text);

/// A set of known secret strings (tokens from the environment) to blank out of text.
class Redactor {
 public:
  /// Registers a value to hide; values shorter than 4 characters are ignored (too many false hits).
  void add(std::string value);
  /// Returns `text` with every registered value replaced by "[REDACTED]" and URL credentials removed.
  std::string apply(std::string_view text) const;
  bool empty() const { return values_.empty(); }

 private:
  std::vector<std::string> values_;
};

/// The process-wide redactor used by logging and error output. Append-only: tests need no reset.
Redactor& global_redactor();

/// Shortens a found secret for display: first `keep` characters, then "…" (never the whole value).
std::string mask_secret(std::string_view secret, std::size_t keep = 4);

}  // namespace agent::util
