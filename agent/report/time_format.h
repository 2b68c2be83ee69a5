#pragma once
// Timestamps as the report formats spell them (always UTC, whole seconds).
#include <chrono>
#include <string>

namespace agent::report {

/// RFC 3339 in UTC: "2024-05-01T12:00:00Z".
std::string rfc3339_utc(std::chrono::system_clock::time_point time);

/// GitLab security reports' form: "2024-05-01T12:00:00" (UTC, no zone suffix).
std::string gitlab_timestamp(std::chrono::system_clock::time_point time);

/// Milliseconds from `start` to `end` (0 when end precedes start).
long long duration_ms(std::chrono::system_clock::time_point start,
                      std::chrono::system_clock::time_point end);

}  // namespace agent::report
