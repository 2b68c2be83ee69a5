#pragma once
// CVSS base scores computed from vector strings (FIRST's specifications), and their ratings.
#include <functional>
#include <optional>
#include <string_view>

#include "agent/findings/finding.h"

namespace agent::controls::dependencies {

/// Base score (0.0-10.0) of a "CVSS:3.0/..." or "CVSS:3.1/..." vector per FIRST's v3.0/v3.1
/// specification (v3.0 and v3.1 round differently). nullopt when the vector is malformed: a
/// base metric missing, repeated or with an unknown value, or an unknown prefix.
std::optional<double> cvss3_base_score(std::string_view vector);

/// Score of a "CVSS:4.0/..." vector per FIRST's v4.0 specification (MacroVector lookup table and
/// interpolation). A base-only vector gives the base score; threat and environmental metrics are
/// honoured when present. nullopt when malformed.
std::optional<double> cvss4_base_score(std::string_view vector);

/// Base score of a CVSS v2 vector ("AV:N/AC:L/Au:N/C:P/I:P/A:P", optionally in parentheses or after
/// "CVSS:2.0/") per FIRST's v2 guide, rounded to one decimal; nullopt when malformed.
std::optional<double> cvss2_base_score(std::string_view vector);

/// NVD's v2 rating (v2 has no "critical"): 0-3.9 low, 4.0-6.9 medium, 7.0-10.0 high.
findings::Severity severity_for_v2_score(double score);

/// The score of a v3.0, v3.1 or v4.0 vector (they carry their version); nullopt otherwise (v2
/// vectors carry none: cvss2_base_score, by the severity entry's type).
std::optional<double> cvss_base_score(std::string_view vector);

namespace detail {
/// Calls `metric(key, value)` for each "KEY:VALUE" part of a '/'-separated vector (its "CVSS:x.y/"
/// prefix already removed); false when a part has no ':' or `metric` returns false.
bool for_each_metric(std::string_view vector,
                     const std::function<bool(std::string_view key, std::string_view value)>& metric);
}  // namespace detail

/// FIRST's qualitative rating: 0 -> info (None), 0.1-3.9 low, 4.0-6.9 medium, 7.0-8.9 high,
/// 9.0-10.0 critical.
findings::Severity severity_for_score(double score);

}  // namespace agent::controls::dependencies
