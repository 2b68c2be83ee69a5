#pragma once
// The repository and membership endpoints behind ignores as code: read a file of the dedicated
// project, commit a change to it guarded by the file's last commit, and check who may ask for it.
// A separate interface from Api, so the code that implements Api (fakes, --dry-run) is untouched.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/gitlab/api.h"

namespace agent::gitlab {

/// Project access levels of the members API (a user at `developer` or above may ignore a finding).
namespace access_level {
inline constexpr int none = 0;
inline constexpr int minimal = 5;
inline constexpr int guest = 10;
inline constexpr int planner = 15;
inline constexpr int reporter = 20;
inline constexpr int developer = 30;
inline constexpr int maintainer = 40;
inline constexpr int owner = 50;
}  // namespace access_level

/// A file as GET /projects/:id/repository/files/:file_path returns it, content decoded.
struct RepositoryFile {
  std::string file_path;
  std::string ref;
  std::string content;          ///< the file's bytes (GitLab sends them base64-encoded)
  std::string blob_id;
  std::string commit_id;        ///< the commit `ref` pointed at when read
  std::string last_commit_id;   ///< the last commit that changed this file: what an update sends back
};

/// One entry of a commit's `actions`.
struct CommitAction {
  enum class Kind { create, update, remove };
  Kind action = Kind::update;
  std::string file_path;
  std::string content;          ///< create/update: the whole new content (ignored for remove)
  /// update/remove: the file's last_commit_id as read; GitLab refuses the commit when the file
  /// changed since ("" sends none: the action overwrites whatever is there).
  std::string last_commit_id;
};

/// Body of POST /projects/:id/repository/commits (into an existing branch).
struct CommitRequest {
  std::string branch;
  std::string commit_message;
  std::string author_name;      ///< omitted when empty (GitLab then uses the token's user)
  std::string author_email;     ///< omitted when empty
  std::vector<CommitAction> actions;
};

/// A commit GitLab refused because a file is not as the caller read it: changed since its
/// last_commit_id, created by someone else before a create, or gone before an update. Re-read the
/// file and apply the change again. An ApiError (status 400), so callers that do not care need
/// nothing new.
class StaleFileError : public ApiError {
 public:
  using ApiError::ApiError;
};

class RepositoryApi {
 public:
  virtual ~RepositoryApi() = default;

  /// GET /projects/:id/repository/files/:file_path?ref=; nullopt when the file does not exist at
  /// `ref`. Throws ApiError for anything else (an unknown project or ref included).
  virtual std::optional<RepositoryFile> get_file(const std::string& project, const std::string& file_path,
                                                 const std::string& ref) = 0;
  /// POST /projects/:id/repository/commits; the new commit's id. Throws StaleFileError when a file
  /// changed under the request (see above), ApiError for any other refusal. Never sent twice.
  virtual std::string create_commit(const std::string& project, const CommitRequest& request) = 0;
  /// GET /projects/:id/members/all/:user_id (inherited and invited members counted): the user's
  /// access_level, or access_level::none (0) when not a member. Throws ApiError for an unknown project.
  virtual int member_access_level(const std::string& project, std::int64_t user_id) = 0;
};

/// Standard base64 (RFC 4648, padded).
std::string base64_encode(std::string_view bytes);
/// Decodes standard base64, skipping line breaks; nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view text);

/// The file in a GET .../repository/files/:file_path answer; throws util::RuntimeError when its
/// content is missing or not base64.
RepositoryFile parse_repository_file(const nlohmann::json& j);
/// The JSON body GitLab expects for `request` (content as text, or base64 when not valid UTF-8).
nlohmann::json to_json(const CommitRequest& request);
/// True for GitLab's messages meaning "the file is not as you read it" (see StaleFileError).
bool is_stale_file_message(std::string_view message);

}  // namespace agent::gitlab
