#include "agent/gitlab/pagination.h"

#include <cctype>

namespace agent::gitlab {
namespace {
std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

std::string with_query(std::string_view url, std::string_view key, std::string_view value) {
  auto hash = url.find('#');
  std::string_view base = url.substr(0, hash);
  auto q = base.find('?');
  std::string out(base.substr(0, q));
  std::string query;
  bool replaced = false;
  if (q != std::string_view::npos) {
    std::string_view rest = base.substr(q + 1);
    while (!rest.empty()) {
      auto amp = rest.find('&');
      std::string_view pair = rest.substr(0, amp);
      std::string_view name = pair.substr(0, pair.find('='));
      if (!query.empty()) query += '&';
      if (name == key) {
        query += std::string(key) + "=" + std::string(value);
        replaced = true;
      } else {
        query += pair;
      }
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
  }
  if (!replaced) {
    if (!query.empty()) query += '&';
    query += std::string(key) + "=" + std::string(value);
  }
  return out + "?" + query;
}

std::string link_rel(std::string_view header, std::string_view rel) {
  // <url>; rel="next", <url>; rel="prev"
  std::size_t pos = 0;
  while (pos < header.size()) {
    auto open = header.find('<', pos);
    if (open == std::string_view::npos) break;
    auto close = header.find('>', open);
    if (close == std::string_view::npos) break;
    std::string_view url = header.substr(open + 1, close - open - 1);
    auto next_entry = header.find('<', close);
    std::string_view params = header.substr(close + 1, next_entry == std::string_view::npos
                                                           ? std::string_view::npos
                                                           : next_entry - close - 1);
    std::string p = lower(params);
    std::string want = "rel=\"" + lower(rel) + "\"";
    std::string want_bare = "rel=" + lower(rel);
    if (p.find(want) != std::string::npos) return std::string(url);
    auto bare = p.find(want_bare);
    if (bare != std::string::npos) {
      auto after = bare + want_bare.size();
      if (after >= p.size() || p[after] == ';' || p[after] == ',' || std::isspace(static_cast<unsigned char>(p[after])))
        return std::string(url);
    }
    pos = close + 1;
  }
  return {};
}

std::string origin_of(std::string_view url) {
  auto sep = url.find("://");
  if (sep == std::string_view::npos) return {};
  auto end = url.find_first_of("/?#", sep + 3);
  std::string_view authority = url.substr(sep + 3, end == std::string_view::npos ? std::string_view::npos : end - sep - 3);
  auto at = authority.rfind('@');
  if (at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string scheme = lower(url.substr(0, sep));
  std::string host = lower(authority);
  // Make the default port explicit so "https://h" and "https://h:443" compare equal.
  bool has_port = !host.empty() && host.find(':', host.rfind(']') == std::string::npos ? 0 : host.rfind(']')) !=
                                        std::string::npos;
  if (!has_port) host += scheme == "https" ? ":443" : scheme == "http" ? ":80" : "";
  return scheme + "://" + host;
}

std::string next_page_url(const HttpResponse& response, std::string_view current, std::string_view api_url) {
  std::string next = link_rel(response.header("link"), "next");
  if (!next.empty()) {
    if (origin_of(next) == origin_of(api_url)) return next;
    // GitLab builds Link from its external URL, which may differ from the URL this runner uses:
    // keep our own origin (the token stays there) and take the part after /api/v4.
    auto v4 = next.find("/api/v4/");
    if (v4 != std::string::npos) return std::string(api_url) + next.substr(v4 + 7);
  }
  std::string page = response.header("x-next-page");
  if (!page.empty()) return with_query(current, "page", page);
  return {};
}

}  // namespace agent::gitlab
