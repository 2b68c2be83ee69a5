#pragma once
// Strings generated from a regex, to give imported rules (gitleaks configs carry no examples)
// examples that `rules check` can run.
//
// The regex (RE2/Go syntax) is parsed into a small tree; a generated string takes one branch of
// each alternation and a count within each repetition, and fills character classes with random
// characters of the class (letters and digits first, so secrets have entropy). Attempt 0 takes
// the first branch and the least count (at least 1 for `+`); later attempts vary both. The result
// is a candidate only: the importer keeps it when the engine finds the rule in it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agent::controls::secrets {

/// A string the regex should match, or nullopt when the syntax is not understood (backreferences,
/// unknown escapes). Deterministic for a given (regex, attempt).
std::optional<std::string> regex_example(std::string_view regex, unsigned attempt);

/// The regex with its `n`-th capturing group (1-based, counted by opening parenthesis) turned into
/// the named group `secret`; nullopt when it has fewer groups. A group already named keeps its
/// place in the count and is renamed.
std::optional<std::string> name_secret_group(std::string_view regex, int n);

}  // namespace agent::controls::secrets
