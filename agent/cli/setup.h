#pragma once
// `jit-agent setup`: onboards a GitLab group in one command (issue 15), and what `doctor` shares
// with it: the names of what setup creates, the admin token, the GitLab URL.
#include <chrono>
#include <string>
#include <string_view>

#include "agent/util/environment.h"

namespace agent::cli {

/// What setup names the things it creates (doctor finds them by these names).
inline constexpr std::string_view kDefaultProjectName = "jit-security";
inline constexpr std::string_view kTriggerDescription = "jit-agent group webhook";
inline constexpr std::string_view kHookName = "jit-agent";
inline constexpr std::string_view kTokenName = "jit-agent checkout";
inline constexpr std::string_view kScheduleDescription = "jit-agent: nightly jit-db-update";
inline constexpr std::string_view kCheckoutVariable = "JIT_CHECKOUT_TOKEN";

/// The administrator's token: JIT_SETUP_TOKEN, else one line read from stdin (echo off on a
/// terminal). Registered with the log redactor. Throws util::UsageError when there is none.
std::string read_admin_token(const util::Environment& env);

/// The REST API URL: `--gitlab URL` (an instance URL), else CI_API_V4_URL, else CI_SERVER_URL + "/api/v4".
/// Throws util::UsageError when none is given.
std::string admin_api_url(const std::string& gitlab_flag, const util::Environment& env);

/// The dedicated project's full path: `project` (a full path, or a path relative to `group`),
/// else GROUP/jit-security. Throws util::UsageError when it is not inside `group`.
std::string dedicated_project_path(const std::string& group, const std::string& project);

/// templates/.gitlab-ci.yml with JIT_AGENT_IMAGE's value replaced by `image` (default: the
/// template's image at this agent's version).
std::string pipeline_file(const std::string& image);

/// The image JIT_AGENT_IMAGE names in a .gitlab-ci.yml, or "" when it names none.
std::string image_of_pipeline(std::string_view pipeline);

/// "YYYY-MM-DD" of `day`.
std::string iso_date(std::chrono::sys_days day);

}  // namespace agent::cli
