#pragma once
// Internal: one parse/compare pair per version scheme (version_*.cpp), used by version.cpp.
#include <string>
#include <string_view>
#include <vector>

#include "agent/controls/dependencies/version.h"

namespace agent::controls::dependencies::detail {

bool is_digits(std::string_view s);
/// Compares two non-negative decimal integers of any length (leading zeros ignored).
int compare_numeric(std::string_view a, std::string_view b);
/// `s` without leading zeros ("007" -> "7", "000" -> "0").
std::string strip_zeros(std::string_view s);
inline int sign(int v) { return (v > 0) - (v < 0); }

/// Leading numeric parts (up to `max_numbers`; extra ones move into the rest) and the rest.
SemverLike parse_semver_like(std::string_view text, std::size_t max_numbers);
/// SemVer precedence; `fold_case` lower-cases pre-release identifiers (NuGet).
int compare_semver(const SemverLike& a, const SemverLike& b, bool fold_case);
bool is_valid_semver(std::string_view text);

Pep440 parse_pep440(std::string_view text);
int compare_pep440(const Pep440& a, const Pep440& b);

std::vector<MavenToken> parse_maven(std::string_view text);
int compare_maven(const std::vector<MavenToken>& a, const std::vector<MavenToken>& b);

Words parse_rubygems(std::string_view text);
int compare_rubygems(const Words& a, const Words& b);

Words parse_packagist(std::string_view text);
int compare_packagist(const Words& a, const Words& b);

/// SemVer, then build metadata: none < some, identifiers compared like pre-release ones.
int compare_pub(const SemverLike& a, const SemverLike& b);

/// Components split at '.' and '-'.
Words parse_cran(std::string_view text);
int compare_cran(const Words& a, const Words& b);
bool is_valid_cran(std::string_view text);

}  // namespace agent::controls::dependencies::detail
