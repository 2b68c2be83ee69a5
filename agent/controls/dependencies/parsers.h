#pragma once
// Internal to the lockfile parsers: one function per format and the helpers they share.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/controls/dependencies/lockfiles.h"
#include "agent/controls/dependencies/package.h"
#include "agent/util/utf8.h"

namespace agent::controls::dependencies::detail {

ParsedLockfile parse_npm(const std::string& path, std::string_view content);
ParsedLockfile parse_yarn(const std::string& path, std::string_view content);
ParsedLockfile parse_pnpm(const std::string& path, std::string_view content);
ParsedLockfile parse_bun(const std::string& path, std::string_view content);
ParsedLockfile parse_requirements(const std::string& path, std::string_view content,
                                  const ParseOptions& options);
ParsedLockfile parse_poetry(const std::string& path, std::string_view content);
ParsedLockfile parse_pipfile(const std::string& path, std::string_view content);
ParsedLockfile parse_uv(const std::string& path, std::string_view content);
ParsedLockfile parse_gomod(const std::string& path, std::string_view content);
/// With the go.sum beside it read through options.read_include (a go.mod before go 1.17).
ParsedLockfile parse_gomod(const std::string& path, std::string_view content, const ParseOptions& options);
ParsedLockfile parse_cargo(const std::string& path, std::string_view content);
ParsedLockfile parse_gemfile(const std::string& path, std::string_view content);
ParsedLockfile parse_composer(const std::string& path, std::string_view content);
ParsedLockfile parse_maven(const std::string& path, std::string_view content);
/// With parent POMs of the repository read through options.read_include.
ParsedLockfile parse_maven(const std::string& path, std::string_view content, const ParseOptions& options);
ParsedLockfile parse_gradle(const std::string& path, std::string_view content);
ParsedLockfile parse_nuget(const std::string& path, std::string_view content);
ParsedLockfile parse_pubspec(const std::string& path, std::string_view content);
ParsedLockfile parse_mix(const std::string& path, std::string_view content);
ParsedLockfile parse_conan(const std::string& path, std::string_view content);
ParsedLockfile parse_pdm(const std::string& path, std::string_view content);
ParsedLockfile parse_pylock(const std::string& path, std::string_view content);
ParsedLockfile parse_swift(const std::string& path, std::string_view content);
ParsedLockfile parse_packages_config(const std::string& path, std::string_view content);
ParsedLockfile parse_deps_json(const std::string& path, std::string_view content);
ParsedLockfile parse_podfile(const std::string& path, std::string_view content);
ParsedLockfile parse_renv(const std::string& path, std::string_view content);
ParsedLockfile parse_gradle_verification(const std::string& path, std::string_view content);

/// A start (or empty-element) tag of an XML document: local name, attributes, 1-based line.
struct XmlTag {
  std::string name;
  std::vector<std::pair<std::string, std::string>> attributes;  ///< local names, decoded values
  int line = 0;
  /// Value of attribute `name`; nullptr when absent.
  const std::string* attribute(std::string_view name) const;
};

/// The start tags named `name` (local name) of a well-formed document, in order; throws like
/// parse_xml on malformed markup (it checks the document with parse_xml first). `root`, when
/// given, receives the root element's local name and line.
std::vector<XmlTag> xml_tags_named(const std::string& path, std::string_view content, std::string_view name,
                                   XmlTag* root = nullptr);

/// Throws util::UsageError "path:line:col: message" (a very long message is shortened).
[[noreturn]] void fail(const std::string& path, int line, int col, const std::string& message);

/// 1-based line and column of byte `offset` in `text` (offset clamped to the text).
std::pair<int, int> line_col_at(std::string_view text, std::size_t offset);

using util::append_utf8;

/// `text` without leading and trailing spaces, tabs, CR and LF.
std::string_view trim(std::string_view text);

/// True when `text` is empty or only whitespace.
bool is_blank(std::string_view text);

/// Splits text into lines (LF or CRLF) with 1-based numbers, in one pass.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}
  /// Next line without its terminator; false at the end.
  bool next(std::string_view& line);
  /// Number of the line last returned.
  int number() const { return number_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  int number_ = 0;
};

/// PEP 503 name: lower case, runs of '-', '_' and '.' become one '-'.
std::string pypi_normalize(std::string_view name);

/// Appends a warning "path:line: message" (line omitted when 0); long messages are shortened and
/// after 100 warnings one "more warnings not shown" ends the list.
void warn(ParsedLockfile& out, const std::string& path, int line, const std::string& message);

/// Where an npm-style range, resolved URL or version says the code comes from: kind "git" (with
/// location "URL#commit"; GitHub/GitLab archive URLs of a commit count), "path" (file:, link:,
/// portal:, workspace: without the prefix), "url" (a tarball outside a registry) or "" (registry).
struct NpmSource {
  std::string kind, location;
};
NpmSource npm_source(std::string_view spec);

/// Builds a Package.
Package make_package(std::string name, std::string version, const char* ecosystem, int line,
                     bool direct_known = false, bool direct = false);

}  // namespace agent::controls::dependencies::detail
