#include "agent/controls/dependencies/lockfiles.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>
#include <unordered_set>

#include "agent/controls/dependencies/parsers.h"
#include "agent/util/error.h"

namespace agent::controls::dependencies {
namespace {

std::string_view base_name(std::string_view path) {
  std::size_t slash = path.find_last_of("/\\");
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool ends_with_ci(std::string_view text, std::string_view suffix) {
  if (text.size() < suffix.size()) return false;
  text = text.substr(text.size() - suffix.size());
  for (std::size_t i = 0; i < suffix.size(); ++i) {
    char a = text[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (a != suffix[i]) return false;
  }
  return true;
}

// Same ecosystem, name, version and source once (three git commits of a package stay three): the
// first declaration's line, direct if any is.
// The set holds indices into `merged` (no copies of the names as keys).
void merge_duplicates(ParsedLockfile& result) {
  std::vector<Package> merged;
  merged.reserve(result.packages.size());
  auto hash = [&merged](std::size_t i) {
    const Package& p = merged[i];
    std::size_t h = std::hash<std::string>{}(p.name);
    h ^= std::hash<std::string>{}(p.version) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h ^ (std::hash<std::string>{}(p.ecosystem) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
  };
  auto equal = [&merged](std::size_t a, std::size_t b) {
    const Package& x = merged[a];
    const Package& y = merged[b];
    return x.name == y.name && x.version == y.version && x.ecosystem == y.ecosystem &&
           x.source_kind == y.source_kind && x.source == y.source && x.requirement == y.requirement;
  };
  std::unordered_set<std::size_t, decltype(hash), decltype(equal)> seen(result.packages.size(), hash, equal);
  for (Package& p : result.packages) {
    merged.push_back(std::move(p));
    auto [it, inserted] = seen.insert(merged.size() - 1);
    if (inserted) continue;
    Package& first = merged[*it];
    first.direct = first.direct || merged.back().direct;
    first.direct_known = first.direct_known || merged.back().direct_known;
    merged.pop_back();
  }
  result.packages = std::move(merged);
}

}  // namespace

std::optional<LockfileKind> lockfile_kind(std::string_view filename) {
  std::string_view name = base_name(filename);
  if (name == "package-lock.json" || name == "npm-shrinkwrap.json") return LockfileKind::npm;
  if (name == "yarn.lock") return LockfileKind::yarn;
  if (name == "pnpm-lock.yaml") return LockfileKind::pnpm;
  if (name == "bun.lock") return LockfileKind::bun;
  if (name == "poetry.lock") return LockfileKind::poetry;
  if (name == "Pipfile.lock") return LockfileKind::pipfile;
  if (name == "uv.lock") return LockfileKind::uv;
  if (name == "go.mod") return LockfileKind::gomod;
  if (name == "Cargo.lock") return LockfileKind::cargo;
  if (name == "Gemfile.lock" || name == "gems.locked") return LockfileKind::gemfile;
  if (name == "composer.lock") return LockfileKind::composer;
  if (name == "pom.xml") return LockfileKind::maven;
  if (name == "gradle.lockfile" || name == "buildscript-gradle.lockfile") return LockfileKind::gradle;
  if (name == "packages.lock.json") return LockfileKind::nuget;
  if (name == "pubspec.lock") return LockfileKind::pub;
  if (name == "mix.lock") return LockfileKind::mix;
  if (name == "conan.lock") return LockfileKind::conan;
  if (name == "pdm.lock") return LockfileKind::pdm;
  if (name == "pylock.toml" || (name.rfind("pylock.", 0) == 0 && name.size() > 12 && ends_with_ci(name, ".toml"))) {
    return LockfileKind::pylock;
  }
  if (name == "Package.resolved") return LockfileKind::swift;
  if (name == "packages.config") return LockfileKind::nuget_config;
  if (name.size() > 10 && ends_with_ci(name, ".deps.json")) return LockfileKind::deps_json;
  if (name == "Podfile.lock") return LockfileKind::cocoapods;
  if (name == "renv.lock") return LockfileKind::renv;
  if (name == "verification-metadata.xml") return LockfileKind::gradle_verification;
  // requirements.txt, requirements-dev.txt, requirements/prod.txt is not matched (no way to tell),
  // dev-requirements.txt is.
  if (ends_with_ci(name, ".txt") &&
      (name.rfind("requirements", 0) == 0 || ends_with_ci(name, "requirements.txt"))) {
    return LockfileKind::requirements;
  }
  return std::nullopt;
}

bool is_lockfile_name(std::string_view filename) { return lockfile_kind(filename).has_value(); }

std::string_view kind_name(LockfileKind kind) {
  switch (kind) {
    case LockfileKind::npm: return "package-lock.json";
    case LockfileKind::yarn: return "yarn.lock";
    case LockfileKind::pnpm: return "pnpm-lock.yaml";
    case LockfileKind::bun: return "bun.lock";
    case LockfileKind::requirements: return "requirements.txt";
    case LockfileKind::poetry: return "poetry.lock";
    case LockfileKind::pipfile: return "Pipfile.lock";
    case LockfileKind::uv: return "uv.lock";
    case LockfileKind::gomod: return "go.mod";
    case LockfileKind::cargo: return "Cargo.lock";
    case LockfileKind::gemfile: return "Gemfile.lock";
    case LockfileKind::composer: return "composer.lock";
    case LockfileKind::maven: return "pom.xml";
    case LockfileKind::gradle: return "gradle.lockfile";
    case LockfileKind::nuget: return "packages.lock.json";
    case LockfileKind::pub: return "pubspec.lock";
    case LockfileKind::mix: return "mix.lock";
    case LockfileKind::conan: return "conan.lock";
    case LockfileKind::pdm: return "pdm.lock";
    case LockfileKind::pylock: return "pylock.toml";
    case LockfileKind::swift: return "Package.resolved";
    case LockfileKind::nuget_config: return "packages.config";
    case LockfileKind::deps_json: return "deps.json";
    case LockfileKind::cocoapods: return "Podfile.lock";
    case LockfileKind::renv: return "renv.lock";
    case LockfileKind::gradle_verification: return "verification-metadata.xml";
  }
  return "lockfile";
}

ParsedLockfile parse_lockfile(const std::string& path, std::string_view content) {
  return parse_lockfile(path, content, ParseOptions{});
}

ParsedLockfile parse_lockfile(const std::string& path, std::string_view content,
                              const ParseOptions& options) {
  auto kind = lockfile_kind(path);
  if (!kind) throw util::UsageError(util::at(path, 0, 0, "not a lockfile or manifest we know"));
  return parse_lockfile_as(*kind, path, content, options);
}

ParsedLockfile parse_lockfile_as(LockfileKind kind, const std::string& path, std::string_view content,
                                 const ParseOptions& options) {
  ParsedLockfile result;
  if (detail::is_blank(content)) {
    result.path = path;
    result.format = std::string(kind_name(kind));
    return result;
  }
  switch (kind) {
    case LockfileKind::npm: result = detail::parse_npm(path, content); break;
    case LockfileKind::yarn: result = detail::parse_yarn(path, content); break;
    case LockfileKind::pnpm: result = detail::parse_pnpm(path, content); break;
    case LockfileKind::bun: result = detail::parse_bun(path, content); break;
    case LockfileKind::requirements: result = detail::parse_requirements(path, content, options); break;
    case LockfileKind::poetry: result = detail::parse_poetry(path, content); break;
    case LockfileKind::pipfile: result = detail::parse_pipfile(path, content); break;
    case LockfileKind::uv: result = detail::parse_uv(path, content); break;
    case LockfileKind::gomod: result = detail::parse_gomod(path, content, options); break;
    case LockfileKind::cargo: result = detail::parse_cargo(path, content); break;
    case LockfileKind::gemfile: result = detail::parse_gemfile(path, content); break;
    case LockfileKind::composer: result = detail::parse_composer(path, content); break;
    case LockfileKind::maven: result = detail::parse_maven(path, content, options); break;
    case LockfileKind::gradle: result = detail::parse_gradle(path, content); break;
    case LockfileKind::nuget: result = detail::parse_nuget(path, content); break;
    case LockfileKind::pub: result = detail::parse_pubspec(path, content); break;
    case LockfileKind::mix: result = detail::parse_mix(path, content); break;
    case LockfileKind::conan: result = detail::parse_conan(path, content); break;
    case LockfileKind::pdm: result = detail::parse_pdm(path, content); break;
    case LockfileKind::pylock: result = detail::parse_pylock(path, content); break;
    case LockfileKind::swift: result = detail::parse_swift(path, content); break;
    case LockfileKind::nuget_config: result = detail::parse_packages_config(path, content); break;
    case LockfileKind::deps_json: result = detail::parse_deps_json(path, content); break;
    case LockfileKind::cocoapods: result = detail::parse_podfile(path, content); break;
    case LockfileKind::renv: result = detail::parse_renv(path, content); break;
    case LockfileKind::gradle_verification: result = detail::parse_gradle_verification(path, content); break;
  }
  result.path = path;
  if (result.format.empty()) result.format = std::string(kind_name(kind));
  // JSON objects come back sorted by key: restore the order of declaration. Packages from other
  // files (requirements includes) keep the order in which the includes were read.
  bool one_file = std::all_of(result.packages.begin(), result.packages.end(),
                              [](const Package& p) { return p.declared_in.empty(); });
  auto by_line = [](const Package& a, const Package& b) { return a.line < b.line; };
  if (one_file && !std::is_sorted(result.packages.begin(), result.packages.end(), by_line)) {
    std::stable_sort(result.packages.begin(), result.packages.end(), by_line);
  }
  merge_duplicates(result);
  return result;
}

std::optional<std::string> read_include_file(const std::string& path, std::uintmax_t max_bytes) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec) || ec) return std::nullopt;
  auto size = std::filesystem::file_size(path, ec);
  if (ec || size > max_bytes) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return buffer.str();
}

IncludeReader include_reader_within(std::filesystem::path root, std::uintmax_t max_bytes) {
  return [root = std::move(root), max_bytes](const std::string& rel) -> std::optional<std::string> {
    std::filesystem::path relative = std::filesystem::path(rel).lexically_normal();
    if (relative.empty() || relative.is_absolute() || *relative.begin() == "..") return std::nullopt;
    std::error_code ec;
    auto real_root = std::filesystem::weakly_canonical(root, ec);
    if (ec) return std::nullopt;
    auto real = std::filesystem::weakly_canonical(root / relative, ec);
    if (ec) return std::nullopt;
    auto inside = real.lexically_relative(real_root);
    if (inside.empty() || *inside.begin() == "..") return std::nullopt;
    return read_include_file(real.string(), max_bytes);
  };
}

}  // namespace agent::controls::dependencies
