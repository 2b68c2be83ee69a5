#pragma once
// Lockfile and manifest parsers: one entry point that picks the format by file name.
//
// Every parser is linear in the input, never recurses without a bound, and reports malformed input
// as util::UsageError "path:line:col: what is wrong". Whitespace-only files parse to no packages.
// Packages that do not come from the ecosystem's registry and carry no usable version (workspace
// members, local paths, `link:`/`file:` entries) are left out; git dependencies with a version are
// kept. Duplicates (same ecosystem, name and version) are merged: first line, direct if any is.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "agent/controls/dependencies/package.h"

namespace agent::controls::dependencies {

/// The formats we parse (a "family" may cover several versions of one file format).
enum class LockfileKind {
  npm,           ///< package-lock.json (v1, v2, v3), npm-shrinkwrap.json
  yarn,          ///< yarn.lock (classic v1 and berry)
  pnpm,          ///< pnpm-lock.yaml (lockfileVersion 5.x, 6, 9)
  bun,           ///< bun.lock (text, JSON with trailing commas)
  requirements,  ///< requirements*.txt
  poetry,        ///< poetry.lock
  pipfile,       ///< Pipfile.lock
  uv,            ///< uv.lock
  gomod,         ///< go.mod
  cargo,         ///< Cargo.lock
  gemfile,       ///< Gemfile.lock, gems.locked
  composer,      ///< composer.lock
  maven,         ///< pom.xml
  gradle,        ///< gradle.lockfile, buildscript-gradle.lockfile
  nuget,         ///< packages.lock.json
  pub,           ///< pubspec.lock (Dart)
  mix,           ///< mix.lock (Elixir, Hex)
  conan,         ///< conan.lock (v0.4 graph_lock, v0.5+ of Conan 2)
  pdm,           ///< pdm.lock
  pylock,        ///< pylock.toml, pylock.<name>.toml (PEP 751)
  swift,         ///< Package.resolved (v1, v2, v3)
  nuget_config,  ///< packages.config
  deps_json,     ///< *.deps.json (.NET runtime dependencies)
  cocoapods,     ///< Podfile.lock
  renv,          ///< renv.lock (R)
  gradle_verification,  ///< verification-metadata.xml (Gradle dependency verification)
};

/// Reads a file a lockfile refers to (a requirements `-r` include); nullopt when it cannot be read.
using IncludeReader = std::function<std::optional<std::string>(const std::string& path)>;

struct ParseOptions {
  /// How `-r` includes are read; empty: from the filesystem (see read_include_file).
  IncludeReader read_include;
  /// Nesting limit for includes (deeper ones are skipped with a warning).
  int max_include_depth = 8;
};

/// The format of a file with this base name, or nullopt when it is not one we parse.
std::optional<LockfileKind> lockfile_kind(std::string_view filename);

/// True when `filename` (base name) is a lockfile/manifest we parse.
bool is_lockfile_name(std::string_view filename);

/// Short name of a kind for messages ("package-lock.json", "requirements.txt", ...).
std::string_view kind_name(LockfileKind kind);

/// Parses one lockfile. `path` is used for format detection (by base name) and in messages.
/// Throws util::UsageError "path:line:col: what is wrong" on malformed input (truncated JSON,
/// wrong types, ...) or when the name is not a lockfile name. Never crashes or hangs; linear time.
ParsedLockfile parse_lockfile(const std::string& path, std::string_view content);

/// As above, with options (how requirements includes are read).
ParsedLockfile parse_lockfile(const std::string& path, std::string_view content,
                              const ParseOptions& options);

/// Parses `content` as `kind` whatever the file is called (tests, explicit --format choices).
ParsedLockfile parse_lockfile_as(LockfileKind kind, const std::string& path, std::string_view content,
                                 const ParseOptions& options = {});

/// The default include reader: a regular file of at most `max_bytes`, else nullopt (never a FIFO
/// or device, so `-r /dev/zero` cannot hang a scan).
std::optional<std::string> read_include_file(const std::string& path,
                                             std::uintmax_t max_bytes = 64ull << 20);

/// An include reader for scans: `path` is relative to `root`; anything resolving outside `root`
/// (`..`, absolute paths, symlinks leaving it) is refused.
IncludeReader include_reader_within(std::filesystem::path root, std::uintmax_t max_bytes = 64ull << 20);

}  // namespace agent::controls::dependencies
