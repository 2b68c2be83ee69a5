#pragma once
// `jit-agent rules import-gitleaks FILE.toml [-o pack.yaml]`, registered under `rules`.
#include <CLI/CLI.hpp>

#include "agent/cli/commands.h"

namespace agent::cli {

/// Adds `import-gitleaks` to the `rules` subcommand.
void add_rules_import(CLI::App& rules, const GlobalOptions& global, Action& action);

}  // namespace agent::cli
