#include "agent/controls/dependencies/version.h"

#include <algorithm>
#include <cctype>

#include "agent/controls/dependencies/version_schemes.h"

namespace agent::controls::dependencies {
namespace detail {

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string strip_zeros(std::string_view s) {
  std::size_t i = 0;
  while (i + 1 < s.size() && s[i] == '0') ++i;
  return std::string(s.substr(i));
}

int compare_numeric(std::string_view a, std::string_view b) {
  while (a.size() > 1 && a.front() == '0') a.remove_prefix(1);
  while (b.size() > 1 && b.front() == '0') b.remove_prefix(1);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  return sign(a.compare(b));
}

namespace {

// Fallback: runs of digits and runs of letters; separators only split.
Words parse_fallback(std::string_view text) {
  Words w;
  std::size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    std::size_t j = i;
    if (std::isdigit(c)) {
      while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
      w.parts.push_back(strip_zeros(text.substr(i, j - i)));
    } else if (std::isalpha(c)) {
      while (j < text.size() && std::isalpha(static_cast<unsigned char>(text[j]))) ++j;
      std::string word(text.substr(i, j - i));
      for (char& ch : word) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      w.parts.push_back(std::move(word));
    } else {
      j = i + 1;
    }
    i = j;
  }
  return w;
}

int compare_fallback(const Words& a, const Words& b) {
  std::size_t n = std::max(a.parts.size(), b.parts.size());
  for (std::size_t i = 0; i < n; ++i) {
    bool has_a = i < a.parts.size(), has_b = i < b.parts.size();
    // A missing part sorts after a word ("1.0" > "1.0beta") and before a number.
    if (!has_a) return is_digits(b.parts[i]) ? -1 : 1;
    if (!has_b) return is_digits(a.parts[i]) ? 1 : -1;
    bool na = is_digits(a.parts[i]), nb = is_digits(b.parts[i]);
    int c = na && nb ? compare_numeric(a.parts[i], b.parts[i])
            : na     ? 1
            : nb     ? -1
                     : sign(a.parts[i].compare(b.parts[i]));
    if (c != 0) return c;
  }
  return 0;
}

}  // namespace
}  // namespace detail

std::string_view base_ecosystem(std::string_view ecosystem) {
  auto colon = ecosystem.find(':');
  return colon == std::string_view::npos ? ecosystem : ecosystem.substr(0, colon);
}

Scheme scheme_for_ecosystem(std::string_view ecosystem) {
  std::string_view base = base_ecosystem(ecosystem);
  if (base == "npm" || base == "crates.io" || base == "Go" || base == "Hex" || base == "SwiftURL" ||
      base == "CocoaPods" || base == "GitHub Actions" || base == "Kubernetes") {
    return Scheme::semver;
  }
  if (base == "Pub") return Scheme::pub;
  if (base == "CRAN" || base == "Bioconductor") return Scheme::cran;
  if (base == "NuGet") return Scheme::nuget;
  if (base == "PyPI") return Scheme::pypi;
  if (base == "Maven") return Scheme::maven;
  if (base == "RubyGems") return Scheme::rubygems;
  if (base == "Packagist") return Scheme::packagist;
  // ConanCenter: Conan's own Version compares dot-separated items, numbers numerically and words
  // lexically, with a "-pre" release below the release: the fallback order (only "1.2" vs
  // "1.2.0", equal for Conan, differs).
  return Scheme::fallback;
}

Version Version::parse(Scheme scheme, std::string_view text) {
  Version v;
  v.scheme_ = scheme;
  v.text_ = std::string(text);
  switch (scheme) {
    case Scheme::semver:
    case Scheme::pub: v.parsed_ = detail::parse_semver_like(text, 3); break;
    case Scheme::nuget: v.parsed_ = detail::parse_semver_like(text, 4); break;
    case Scheme::pypi: v.parsed_ = detail::parse_pep440(text); break;
    case Scheme::maven: v.parsed_ = detail::parse_maven(text); break;
    case Scheme::rubygems: v.parsed_ = detail::parse_rubygems(text); break;
    case Scheme::packagist: v.parsed_ = detail::parse_packagist(text); break;
    case Scheme::cran: v.parsed_ = detail::parse_cran(text); break;
    case Scheme::fallback: v.parsed_ = detail::parse_fallback(text); break;
  }
  return v;
}

int Version::compare(const Version& other) const {
  using namespace detail;
  if (scheme_ != other.scheme_) return sign(text_.compare(other.text_));
  switch (scheme_) {
    case Scheme::semver:
    case Scheme::nuget:
      return compare_semver(std::get<SemverLike>(parsed_), std::get<SemverLike>(other.parsed_),
                            scheme_ == Scheme::nuget);
    case Scheme::pub:
      return compare_pub(std::get<SemverLike>(parsed_), std::get<SemverLike>(other.parsed_));
    case Scheme::pypi:
      return compare_pep440(std::get<Pep440>(parsed_), std::get<Pep440>(other.parsed_));
    case Scheme::maven:
      return compare_maven(std::get<std::vector<MavenToken>>(parsed_),
                           std::get<std::vector<MavenToken>>(other.parsed_));
    case Scheme::rubygems:
      return compare_rubygems(std::get<Words>(parsed_), std::get<Words>(other.parsed_));
    case Scheme::packagist:
      return compare_packagist(std::get<Words>(parsed_), std::get<Words>(other.parsed_));
    case Scheme::cran:
      return compare_cran(std::get<Words>(parsed_), std::get<Words>(other.parsed_));
    case Scheme::fallback:
      return compare_fallback(std::get<Words>(parsed_), std::get<Words>(other.parsed_));
  }
  return 0;
}

int compare_versions(Scheme scheme, std::string_view a, std::string_view b) {
  return Version::parse(scheme, a).compare(Version::parse(scheme, b));
}

bool is_valid_version(Scheme scheme, std::string_view text) {
  if (text.empty() || text.size() > 256) return false;
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
  }
  switch (scheme) {
    case Scheme::semver:
    case Scheme::nuget:
    case Scheme::pub:
      return detail::is_valid_semver(text);
    case Scheme::cran:
      return detail::is_valid_cran(text);
    case Scheme::pypi:
      return !detail::parse_pep440(text).legacy;
    default:
      // Maven, RubyGems, Packagist and others accept nearly any token; require a digit.
      return std::any_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  }
}

std::string normalize_package_name(std::string_view ecosystem, std::string_view name) {
  std::string_view base = base_ecosystem(ecosystem);
  std::string out;
  out.reserve(name.size());
  if (base == "PyPI") {
    // PEP 503: lower case, runs of '-', '_' and '.' become one '-'.
    for (char c : name) {
      if (c == '-' || c == '_' || c == '.') {
        if (out.empty() || out.back() != '-') out.push_back('-');
      } else {
        out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
      }
    }
    return out;
  }
  if (base == "NuGet" || base == "Packagist") {
    for (char c : name) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    return out;
  }
  return std::string(name);
}

}  // namespace agent::controls::dependencies
