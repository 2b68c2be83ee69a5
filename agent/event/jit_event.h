#pragma once
// jit-agent's own event JSON (JIT_EVENT), for a relay or backend that triggers the dedicated
// project's pipeline through the trigger API. Schema: schemas/jit-event.schema.json;
// documentation: docs/jit-event.md.
#include <string>
#include <string_view>

#include "agent/event/event.h"

namespace agent::event {

/// The schema version this agent writes and the highest it reads.
inline constexpr int kJitEventVersion = 1;

/// Parses a JIT_EVENT document; `source` names it in errors ("JIT_EVENT", "JIT_EVENT (/path)").
/// Throws util::UsageError "<source>: <json pointer> missing|must be ..." on a bad document.
Event parse_jit_event(std::string_view json, std::string_view source, std::string_view server_url);

/// Serialises an event into the JIT_EVENT format (parse_jit_event(to_jit_event(e)) == e's data,
/// except `source`); pretty-printed when `indent` >= 0.
std::string to_jit_event(const Event& event, int indent = -1);

}  // namespace agent::event
