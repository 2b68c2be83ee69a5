#pragma once
// Version ordering per package ecosystem, as OSV ranges of type ECOSYSTEM and SEMVER need it.
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace agent::controls::dependencies {

/// The ordering rules a version string follows.
enum class Scheme {
  semver,     ///< SemVer 2.0 with a tolerated "v" prefix: npm, crates.io, Go (pseudo-versions), Hex,
              ///< SwiftURL, CocoaPods
  pub,        ///< SemVer where build metadata orders too (pub_semver): Pub
  nuget,      ///< SemVer with 4 numeric parts, case-insensitive pre-release
  pypi,       ///< PEP 440 (epochs, pre/post/dev, local), legacy versions sort first
  maven,      ///< Maven's ComparableVersion
  rubygems,   ///< Gem::Version
  packagist,  ///< PHP's version_compare as Composer uses it
  cran,       ///< R's package_version: integers split at '.' and '-': CRAN, Bioconductor
  fallback,   ///< numbers compare numerically, words lexically (ConanCenter: see scheme_for_ecosystem)
};

/// The ordering of an OSV ecosystem name ("PyPI", "Maven:https://...": the suffix is ignored).
Scheme scheme_for_ecosystem(std::string_view ecosystem);

/// The OSV ecosystem without its ":suffix" ("Debian:11" -> "Debian").
std::string_view base_ecosystem(std::string_view ecosystem);

namespace detail {
struct SemverLike {
  std::vector<std::string> numbers;  ///< leading numeric parts, leading zeros stripped
  std::string rest;                  ///< everything after them ("-beta.1+build")
};
struct Pep440 {
  bool legacy = false;
  std::string legacy_key;            ///< for versions outside PEP 440 (compared as strings)
  std::string epoch = "0";
  std::vector<std::string> release;
  char pre_letter = 0;               ///< 'a', 'b', 'r' (rc); 0: none
  std::string pre_number;
  bool has_post = false;
  std::string post_number;
  bool has_dev = false;
  std::string dev_number;
  std::vector<std::string> local;
};
struct MavenToken {
  char prefix = 0;                   ///< 0 (first), '.' or '-'
  std::string value;
  bool is_null = false;
};
struct Words {
  std::vector<std::string> parts;    ///< RubyGems segments, Packagist pieces, fallback runs
};
}  // namespace detail

/// A version parsed once for its scheme; comparisons then do no string parsing.
class Version {
 public:
  /// Parses `text` under `scheme`. Never fails: odd strings get a best-effort order.
  static Version parse(Scheme scheme, std::string_view text);
  /// <0, 0, >0 like strcmp. Both versions must have the same scheme.
  int compare(const Version& other) const;
  const std::string& text() const { return text_; }
  Scheme scheme() const { return scheme_; }

 private:
  Scheme scheme_ = Scheme::fallback;
  std::string text_;
  std::variant<detail::SemverLike, detail::Pep440, std::vector<detail::MavenToken>, detail::Words>
      parsed_;
};

/// Compares two version strings under `scheme` (<0, 0, >0).
int compare_versions(Scheme scheme, std::string_view a, std::string_view b);

/// Whether `text` is a well-formed version of `scheme` (record validation: "4.36.-1" is not PEP 440).
bool is_valid_version(Scheme scheme, std::string_view text);

/// Normalises a package name the way the ecosystem compares names (PyPI: PEP 503; NuGet,
/// Packagist: lower case; others unchanged).
std::string normalize_package_name(std::string_view ecosystem, std::string_view name);

}  // namespace agent::controls::dependencies
