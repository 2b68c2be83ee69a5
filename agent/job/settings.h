#pragma once
// The dedicated project's side of a CI job's configuration, read before anything is fetched or
// posted: the central jit.yml and the ignores.yml beside it (shared by `ci` and `merge`).
#include <filesystem>
#include <optional>
#include <string>

#include "agent/config/config.h"
#include "agent/config/ignores.h"
#include "agent/config/vex.h"
#include "agent/util/environment.h"

namespace agent::job {

struct CentralSettings {
  std::optional<std::filesystem::path> file;  ///< the central jit.yml, when there is one
  config::Config cfg;
  config::Ignores ignores;
  std::vector<config::VexDocument> vex;  ///< vex.json and vex/*.json beside jit.yml
};

/// `config_flag` (--config) else jit.yml in CI_PROJECT_DIR when present; ignores.yml beside it
/// ($JIT_IGNORES_FILE names another; then it must exist); `min_confidence` (--min-confidence,
/// "" for the configuration's). Throws util::UsageError on invalid files.
CentralSettings load_central_settings(const std::string& config_flag, const std::string& min_confidence,
                                      const util::Environment& env);

}  // namespace agent::job
