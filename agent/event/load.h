#pragma once
// Where the triggering event comes from, in order: TRIGGER_PAYLOAD, JIT_EVENT, CI_* variables.
#include "agent/event/environment.h"
#include "agent/event/event.h"

namespace agent::event {

/// Loads the event: TRIGGER_PAYLOAD (path of a file with a GitLab webhook body) first, then
/// JIT_EVENT (JSON text, or the path of a file holding it), then the predefined CI_* variables
/// of a target project's own MR or push pipeline.
/// Throws util::UsageError naming the source and the field (JSON pointer) when a payload is not
/// valid JSON or lacks a required field, or when no source describes an event.
Event load_event(const Environment& env);

/// The server URL to build clone URLs from: CI_SERVER_URL, else "" (then payload URLs are used).
std::string server_url_from(const Environment& env);

}  // namespace agent::event
