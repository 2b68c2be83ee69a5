#pragma once
// Hidden HTML-comment markers that let a later pipeline recognise what the agent posted.
// They are only trusted at the very start of a body: a marker quoted from a scanned file sits
// inside a code span later in the body and is never read as ours.
#include <optional>
#include <string>
#include <string_view>

namespace agent::publish {

/// First line of the MR summary note.
inline constexpr std::string_view kSummaryMarker = "<!-- jit-agent:summary -->";
/// First line of a reply with which the agent resolved a thread.
inline constexpr std::string_view kResolvedMarker = "<!-- jit-agent:resolved -->";

/// What a thread's leading markers say.
struct ThreadMarker {
  std::string fingerprint;   ///< lower-case hex
  std::string control;       ///< "" when the body has no control marker
};

/// "<!-- jit-agent:fingerprint=<fp> -->\n<!-- jit-agent:control=<control> -->\n"; `fingerprint`
/// must be hex and `control` a plain name (anything else is dropped from the marker).
std::string thread_markers(std::string_view fingerprint, std::string_view control);

/// The markers at the start of `body`, or nullopt when it does not start with a fingerprint marker.
std::optional<ThreadMarker> parse_thread_markers(std::string_view body);

/// True when `body` starts with kSummaryMarker.
bool is_summary(std::string_view body);

/// True when `body` starts with kResolvedMarker.
bool is_resolved_reply(std::string_view body);

}  // namespace agent::publish
