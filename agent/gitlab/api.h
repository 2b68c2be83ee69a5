#pragma once
// The GitLab endpoints the agent uses, as an interface: Client talks to a real server, tests
// (and --dry-run) substitute their own.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/gitlab/models.h"
#include "agent/util/error.h"

namespace agent::gitlab {

/// A request GitLab refused (HTTP status >= 400 after retries) or that never got an answer
/// (status 0). The message names the method and path, never the token.
class ApiError : public util::RuntimeError {
 public:
  ApiError(long status, const std::string& message) : util::RuntimeError(message), status_(status) {}
  /// HTTP status, or 0 when no response arrived (network or TLS failure).
  long status() const noexcept { return status_; }

 private:
  long status_;
};

/// `project` is a numeric id ("42") or a full path ("group/app"); implementations encode it.
class Api {
 public:
  virtual ~Api() = default;

  /// GET /projects/:id/merge_requests/:iid/versions (all pages), newest first.
  virtual std::vector<MrVersion> merge_request_versions(const std::string& project, std::int64_t iid) = 0;
  /// GET /projects/:id/merge_requests/:iid/discussions (all pages).
  virtual std::vector<Discussion> merge_request_discussions(const std::string& project, std::int64_t iid) = 0;
  /// POST /projects/:id/merge_requests/:iid/discussions (a diff thread when `position` is set).
  virtual Discussion create_discussion(const std::string& project, std::int64_t iid, const std::string& body,
                                       const std::optional<Position>& position) = 0;
  /// POST /projects/:id/merge_requests/:iid/discussions/:discussion_id/notes.
  virtual Note reply_to_discussion(const std::string& project, std::int64_t iid,
                                   const std::string& discussion_id, const std::string& body) = 0;
  /// PUT /projects/:id/merge_requests/:iid/discussions/:discussion_id?resolved=true|false.
  virtual Discussion resolve_discussion(const std::string& project, std::int64_t iid,
                                        const std::string& discussion_id, bool resolved) = 0;
  /// GET /projects/:id/merge_requests/:iid/notes (all pages).
  virtual std::vector<Note> merge_request_notes(const std::string& project, std::int64_t iid) = 0;
  /// POST /projects/:id/merge_requests/:iid/notes.
  virtual Note create_note(const std::string& project, std::int64_t iid, const std::string& body) = 0;
  /// PUT /projects/:id/merge_requests/:iid/notes/:note_id.
  virtual Note update_note(const std::string& project, std::int64_t iid, std::int64_t note_id,
                           const std::string& body) = 0;
  /// POST /projects/:id/statuses/:sha.
  virtual void set_commit_status(const std::string& project, const std::string& sha,
                                 const CommitStatus& status) = 0;
};

}  // namespace agent::gitlab
