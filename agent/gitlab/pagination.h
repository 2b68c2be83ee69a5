#pragma once
// GitLab list pagination: Link rel="next" (offset and keyset) or X-Next-Page.
#include <string>
#include <string_view>

#include "agent/gitlab/http.h"

namespace agent::gitlab {

/// `url` with `key=value` set in its query (replacing an existing `key`).
std::string with_query(std::string_view url, std::string_view key, std::string_view value);

/// The URL of the next page, or "" on the last page. A Link rel="next" on another
/// scheme://host:port than `api_url` is re-rooted on `api_url` (the token never travels
/// elsewhere); without a usable Link, X-Next-Page sets `page` on `current`.
std::string next_page_url(const HttpResponse& response, std::string_view current, std::string_view api_url);

/// The URL in `link_header` whose rel is `rel`, or "".
std::string link_rel(std::string_view link_header, std::string_view rel);

/// "https://host:port" of `url` (lower-cased scheme and host), or "" when it has none.
std::string origin_of(std::string_view url);

}  // namespace agent::gitlab
