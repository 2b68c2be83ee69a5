#pragma once
// GitLab webhook bodies (current and older formats) -> Event. Dispatch on object_kind, else
// event_name (group events such as subgroup_create carry only event_name).
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "agent/event/event.h"

namespace agent::event {

/// Parses a webhook body. `source` names it in errors ("TRIGGER_PAYLOAD (/tmp/x.json)");
/// `server_url` (CI_SERVER_URL, may be "") is preferred over the payload's URLs for cloning,
/// because the runner reaches GitLab by that name. Kinds that never need a scan (issue, pipeline,
/// member, ...) load with a skip reason. Throws util::UsageError
/// "<source>: <json pointer> missing|must be <type>" for bad bodies.
Event parse_webhook(std::string_view body, std::string_view source, std::string_view server_url);

/// Same, for an already parsed document.
Event parse_webhook_json(const nlohmann::json& doc, std::string_view source, std::string_view server_url);

}  // namespace agent::event
