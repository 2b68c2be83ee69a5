#pragma once
// Glob matching with gitignore-like semantics, for --exclude and monorepo folder excludes.
#include <string_view>

namespace agent::util {

/// True when `pattern` matches the '/'-separated relative `path` or one of its parent folders
/// (excluding a folder excludes what is under it). Rules, as in .gitignore:
///  - `*` and `?` never cross '/'; `[abc]`, `[a-z]`, `[!a]` match one character;
///  - `**` spans folders: `**/x` (x at any depth), `x/**` (everything under x), `a/**/b`;
///  - a pattern without '/' (other than a trailing one) matches the base name at any depth;
///  - a pattern with a '/' is anchored at the root; a leading "/" or "./" is ignored;
///  - a trailing '/' matches folders only: a parent folder of `path`, or `path` itself when
///    `is_dir` is true;
///  - `\x` matches x literally.
bool glob_match(std::string_view pattern, std::string_view path, bool is_dir = false);

/// True when `pattern` matches the whole of `text` with no folder logic (`*` does not cross '/',
/// `**` does). The building block of glob_match.
bool glob_match_exact(std::string_view pattern, std::string_view text);

}  // namespace agent::util
