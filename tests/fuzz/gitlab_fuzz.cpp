// Fuzz target: what the GitLab API answers. Mode (first byte % 4): 0 a JSON body read as MR
// versions, notes, discussions and positions (an object or an array of them; null and wrong types
// read as defaults), plus the agent's thread markers in every note body; 1 a repository file
// (base64 content); 2 a Retry-After value; 3 "link\nx-next-page" headers: the next page URL
// must stay on the API's origin. Documented: util::Error (RuntimeError for a file without content).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "agent/gitlab/http.h"
#include "agent/gitlab/models.h"
#include "agent/gitlab/pagination.h"
#include "agent/gitlab/repository_api.h"
#include "agent/gitlab/retry.h"
#include "agent/publish/markers.h"
#include "agent/util/error.h"
#include "tests/fuzz/fuzz_common.h"

namespace {

namespace gl = agent::gitlab;

void read_models(const nlohmann::json& j) {
  (void)gl::parse_mr_version(j);
  (void)gl::to_json(gl::parse_position(j));
  gl::Discussion d = gl::parse_discussion(j);
  for (const auto& n : d.notes) (void)agent::publish::parse_thread_markers(n.body);
  gl::Note n = gl::parse_note(j);
  (void)agent::publish::parse_thread_markers(n.body);
  (void)agent::publish::is_summary(n.body);
}

void check_next_page(std::string_view text) {
  auto nl = text.find('\n');
  gl::HttpResponse response;
  response.status = 200;
  response.headers.emplace_back("link", std::string(text.substr(0, nl)));
  if (nl != std::string_view::npos) response.headers.emplace_back("x-next-page", std::string(text.substr(nl + 1)));
  const std::string api = "https://gitlab.example.com/api/v4";
  std::string next = gl::next_page_url(response, api + "/projects/1/merge_requests/2/discussions?per_page=100", api);
  (void)gl::link_rel(response.headers.front().second, "next");
  if (!next.empty() && gl::origin_of(next) != gl::origin_of(api)) {
    std::fprintf(stderr, "next page leaves the API origin: %s\n", next.c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > fuzz::kMaxInput) return 0;
  auto in = fuzz::split(data, size, 4);
  try {
    switch (in.mode) {
      case 0: {
        auto j = nlohmann::json::parse(in.text, nullptr, false);
        if (j.is_discarded()) break;
        if (j.is_array()) {
          for (const auto& item : j) read_models(item);
        } else {
          read_models(j);
        }
        break;
      }
      case 1: {
        auto j = nlohmann::json::parse(in.text, nullptr, false);
        if (j.is_discarded()) break;
        (void)gl::parse_repository_file(j);
        break;
      }
      case 2:
        (void)gl::parse_retry_after(in.text, std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000)));
        break;
      default:
        check_next_page(in.text);
        break;
    }
  } catch (const agent::util::Error&) {
  }
  return 0;
}
