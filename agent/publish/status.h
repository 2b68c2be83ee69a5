#pragma once
// The commit status the agent sets on the scanned commit (GitLab's limits applied here).
#include <string>

#include "agent/gitlab/models.h"

namespace agent::publish {

/// A status body: `description` cut to 255 characters; `target_url` kept only when it is a
/// safe http(s) URL of at most 255 characters; `ref` kept when at most 255 characters.
gitlab::CommitStatus commit_status(std::string state, const std::string& name, const std::string& description,
                                   const std::string& target_url, const std::string& ref);

}  // namespace agent::publish
