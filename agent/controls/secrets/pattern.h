#pragma once
// How a rule pattern is handed to each regex engine (RE2 confirms, Vectorscan finds candidates).
#include <re2/re2.h>

#include <optional>
#include <string>
#include <string_view>

namespace agent::controls::secrets {

/// RE2 options for every rule and allow regex: bytes (Latin-1, as Vectorscan sees them), quiet.
RE2::Options re2_options();

/// The RE2 form of a rule pattern: the pattern in multi-line mode (`^`/`$` at line boundaries).
std::string re2_pattern(std::string_view pattern);

/// A pattern as Vectorscan takes it.
struct HsExpression {
  std::string expression;   ///< group names removed, leading `(?ims)` turned into flags
  unsigned flags = 0;       ///< HS_FLAG_* (always HS_FLAG_MULTILINE)
};

/// Translates an RE2 rule pattern into the Vectorscan form.
HsExpression hs_expression(std::string_view pattern);

/// A cheaper expression for Vectorscan to find a one-line rule's candidates with.
struct HsTrimmed {
  HsExpression expression;
  /// How far past the end of a match of `expression` a match of the original may end, in bytes.
  std::size_t slack = 0;
};

/// A cheaper candidate expression, for expressions ending in either
/// - a greedy bounded repeat of one character (`X{m,n}`, n > m >= 1) that only closing
///   parentheses and an optional zero- or one-byte boundary follow (`\b`, `$`, `(?:[^...]|$)`):
///   cut after `X{m}`, slack n - m + 1;
/// - else a one-byte boundary `(?:[^...]|$)` / `(?:$|[^...])`: dropped, slack 1.
/// Every match of `e` then starts with a match of the result, ending at most `slack` bytes before
/// it. The engine confirms a one-line rule on the whole line around each hit, so the cut finds
/// exactly the same matches, and Vectorscan runs it much faster: a range reports up to n - m + 1
/// ends per candidate (facebook-app-access-token's `{27,32}` cost a third of the whole scan), and
/// a trailing boundary group is costly too (ably-api-key's, more than half of what remained).
/// nullopt when `e` has no such end.
std::optional<HsTrimmed> hs_trimmed(const HsExpression& e);

/// Whether Vectorscan takes an expression, and how.
struct HsCheck {
  bool prefilter = false;   ///< only in prefilter mode (a superset of matches, which RE2 confirms)
  std::string error;        ///< why Vectorscan rejects it even in prefilter mode; empty when it takes it
};

/// Asks Vectorscan (without compiling a database) whether it accepts `e`, exactly or in
/// prefilter mode; a pattern that can match an empty string is an error too.
HsCheck hs_check(const HsExpression& e);

/// The capture group holding the secret: `secret` if named, else 1 if any, else 0 (whole match).
int secret_group(const RE2& re);

}  // namespace agent::controls::secrets
