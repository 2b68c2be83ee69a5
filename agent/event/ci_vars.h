#pragma once
// The predefined CI_* variables of a target project's own pipeline -> Event
// (CI_PIPELINE_SOURCE merge_request_event, or push/web/schedule/api for a branch or tag).
#include <optional>

#include "agent/event/environment.h"
#include "agent/event/event.h"

namespace agent::event {

/// The event described by CI variables, or nullopt when CI_PIPELINE_SOURCE is unset.
/// Throws util::UsageError naming the variable when one that the pipeline source implies is
/// missing, or for CI_PIPELINE_SOURCE=trigger without TRIGGER_PAYLOAD/JIT_EVENT.
std::optional<Event> event_from_ci_vars(const Environment& env);

}  // namespace agent::event
