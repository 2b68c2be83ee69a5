#include "agent/publish/status.h"

#include "agent/publish/markdown.h"

namespace agent::publish {

gitlab::CommitStatus commit_status(std::string state, const std::string& name, const std::string& description,
                                   const std::string& target_url, const std::string& ref) {
  gitlab::CommitStatus s;
  s.state = std::move(state);
  s.name = markdown::truncate_utf8(name, 255);
  // GitLab refuses the whole request (400) when a field is too long: cut rather than lose the status.
  std::string one_line = description;
  for (auto& c : one_line)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  s.description = markdown::truncate_utf8(one_line, 255);
  if (target_url.size() <= 255 && markdown::is_safe_url(target_url)) s.target_url = target_url;
  if (ref.size() <= 255) s.ref = ref;
  return s;
}

}  // namespace agent::publish
