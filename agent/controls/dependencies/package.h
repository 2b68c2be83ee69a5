#pragma once
// A package declared in a lockfile or manifest: what the parsers produce and the matcher consumes.
#include <string>
#include <vector>

namespace agent::controls::dependencies {

struct Package {
  std::string name;          ///< as the ecosystem spells it (npm scope included: "@babel/core")
  std::string version;       ///< exact version as written (no range operators)
  std::string ecosystem;     ///< OSV ecosystem name: npm, PyPI, Go, crates.io, RubyGems, Packagist, Maven, NuGet
  bool direct = false;       ///< declared directly by the project
  bool direct_known = false; ///< false when the format does not say direct vs transitive
  int line = 0;              ///< 1-based line where it is declared in the lockfile (0: unknown)
  // Added by the lockfile parsers: a requirements file's `-r` includes declare packages elsewhere.
  std::string declared_in;   ///< file that declares it when not the lockfile itself (`line` is in it); else empty
  // The inventory beyond the registry (SBOMs list every package; only registry packages with an
  // exact version are matched against advisories):
  /// Where the package comes from when not the ecosystem's registry: "git", "path" (a file, link,
  /// workspace member or local directory) or "url" (an archive or wheel URL); empty: the registry.
  std::string source_kind;
  std::string source;        ///< the git URL ("#<commit>" appended when pinned), the path or the URL, as written
  std::string requirement;   ///< the requirement as written when no exact version is pinned (">=2.0,<3"); else empty
};

/// True when advisories can be matched against `p`: from the registry, with an exact version.
inline bool matchable(const Package& p) { return p.source_kind.empty() && !p.version.empty(); }

/// The outcome of parsing one lockfile.
struct ParsedLockfile {
  std::string path;                 ///< relative to the scan root
  std::string format;               ///< e.g. "package-lock.json v3", "poetry.lock"
  std::vector<Package> packages;
  // Added by the lockfile parsers: problems that did not stop the parse ("file:line: what"),
  // e.g. an unpinned or unparsable requirement, an unreadable include, an unresolved ${property}.
  std::vector<std::string> warnings;
};

}  // namespace agent::controls::dependencies
