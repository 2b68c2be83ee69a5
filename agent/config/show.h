#pragma once
// `config show`: the effective configuration after layering, with where each value came from.
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "agent/config/config.h"

namespace agent::config {

/// "automatic" (a preset the default plan runs where its language and tool are found),
/// "required" (named in jit.yml: a missing tool is an error) or "disabled".
std::string_view tool_mode(const ToolSpec& tool);

/// The effective configuration as YAML in jit.yml's shape; each value is followed by a comment
/// naming its source ("# jit.yml:3:10", "# default", "# preset"). Throws util::UsageError when
/// the `folders:` lists do not merge.
std::string show_yaml(const Config& config);

/// The same as JSON: {"config": {...jit.yml's shape...}, "sources": {"key.path": "file:line:col"},
/// "files": [...]}; each control has "mode" and "source".
nlohmann::json show_json(const Config& config);

}  // namespace agent::config
