#pragma once
// What a CI job (`jit-agent ci`, or `jit-agent merge` of a sharded one) knows once it knows the
// event, the configuration and where to post: what every step below cli/ci.cpp receives.
#include <memory>
#include <string>
#include <vector>

#include "agent/config/config.h"
#include "agent/config/folders.h"
#include "agent/config/ignores.h"
#include "agent/config/vex.h"
#include "agent/event/event.h"
#include "agent/gitlab/api.h"
#include "agent/gitlab/client.h"
#include "agent/job/token_check.h"
#include "agent/util/environment.h"

namespace agent::job {

struct JobContext {
  const event::Event& ev;
  const util::Environment& env;
  config::Config cfg;
  config::FoldersConfig folders;
  std::string project;     ///< API id of the project ("42" or "group/app")
  std::string head_sha;
  gitlab::Api* api = nullptr;  ///< null: nothing is posted
  std::vector<std::string> publish_errors;
  config::Ignores ignores;  ///< ignores.yml of the dedicated project (empty when it has none)
  std::vector<config::VexDocument> vex;  ///< OpenVEX documents of the dedicated project (vex.json, vex/*.json)
  /// The text of a finding's line, for the GitLab token check's instance choice (unset: unknown).
  LineLookup token_lines;
};

/// The API id of the event's project: its numeric id when known, else its path.
std::string project_api_id(const event::Event& ev);

/// The GitLab API client, or null when CI gives no API URL (then nothing is posted).
std::unique_ptr<gitlab::Client> make_client(const util::Environment& env);

}  // namespace agent::job
