#pragma once
// A bounded YAML loader: every YAML file the agent reads (jit.yml, .jit/jit-config.yml, rule packs)
// goes through load_yaml, which refuses "billion laughs" documents before anyone walks them.
// yaml-cpp shares an anchored node between its aliases, so parsing a bomb is cheap; walking it
// (validation, merging, printing) re-expands every alias and never ends. The guard counts the
// nodes a full walk would visit, aliases re-expanded, in one linear pass over the parser's events.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace agent::util {

struct YamlLimits {
  /// Nodes a full walk may visit, each alias counting the whole subtree it names. The largest
  /// built-in rule pack is ~10^4; a 9-level billion-laughs file is ~10^9.
  std::uint64_t max_nodes = 1'000'000;
  std::uint64_t max_aliases = 10'000;  ///< alias occurrences (normal files have a handful)
};

/// Parses the first document of `text` (as read from `file`) like YAML::Load, after checking it
/// against `limits`. Throws util::UsageError "file:line:col: invalid YAML: ..." for a syntax error
/// or a NUL byte (which yaml-cpp would take for the end of the text) and "file:line:col: too many aliases/nodes (YAML alias bomb?) ..." (at the alias that crossed
/// the limit) for a document past the limits.
YAML::Node load_yaml(std::string_view text, const std::string& file, const YamlLimits& limits = {});

}  // namespace agent::util
