#pragma once
// GitLab REST v4 client: PRIVATE-TOKEN auth, JSON bodies, pagination on every list, retries.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/gitlab/api.h"
#include "agent/gitlab/http.h"
#include "agent/gitlab/repository_api.h"
#include "agent/gitlab/retry.h"
#include "agent/util/environment.h"

namespace agent::gitlab {

struct ClientOptions {
  std::string api_url;            ///< e.g. "https://gitlab.example.com/api/v4" (no trailing slash)
  std::string token;              ///< sent as PRIVATE-TOKEN; never logged
  TransportOptions transport;
  RetryPolicy retry;
  int max_pages = 1000;           ///< safety stop for a server that never ends a listing

  /// From CI variables: CI_API_V4_URL (else CI_SERVER_URL + "/api/v4"), JIT_API_TOKEN (else
  /// JIT_CHECKOUT_TOKEN, registered with util::global_redactor()), CI_SERVER_TLS_CA_FILE,
  /// HTTPS_PROXY/HTTP_PROXY/NO_PROXY, and the retry knobs JIT_API_MAX_ATTEMPTS,
  /// JIT_API_RETRY_INITIAL_MS, JIT_API_RETRY_MAX_SECONDS, JIT_API_TIMEOUT_SECONDS.
  /// Throws util::UsageError for a malformed knob.
  static ClientOptions from_env(const util::Environment& env);
};

/// TransportOptions' proxy and time fields from the environment (shared with the results endpoint).
TransportOptions transport_from_env(const util::Environment& env);
/// RetryPolicy from the JIT_API_* knobs (defaults when unset); throws util::UsageError when malformed.
RetryPolicy retry_from_env(const util::Environment& env);

class Client : public Api, public RepositoryApi {
 public:
  /// A client over libcurl that sleeps for real between retries.
  explicit Client(ClientOptions options);
  /// A client over `transport`, sleeping through `sleeper` (tests record instead of sleeping).
  Client(ClientOptions options, std::unique_ptr<Transport> transport, Sleeper sleeper);
  ~Client() override;

  /// GET `path` (relative to api_url, starting with '/'); throws ApiError on failure.
  nlohmann::json get(const std::string& path);
  /// GET every page of a list (per_page=100, following Link rel="next" or X-Next-Page).
  std::vector<nlohmann::json> get_all(const std::string& path);
  /// POST/PUT `body` as JSON (no body when null); returns the parsed response (null when empty).
  /// `may_repeat`: a POST that is harmless to send twice, retried like a GET.
  nlohmann::json send(const std::string& method, const std::string& path, const nlohmann::json& body,
                      bool may_repeat = false);

  std::vector<MrVersion> merge_request_versions(const std::string& project, std::int64_t iid) override;
  std::vector<Discussion> merge_request_discussions(const std::string& project, std::int64_t iid) override;
  Discussion create_discussion(const std::string& project, std::int64_t iid, const std::string& body,
                               const std::optional<Position>& position) override;
  Note reply_to_discussion(const std::string& project, std::int64_t iid, const std::string& discussion_id,
                           const std::string& body) override;
  Discussion resolve_discussion(const std::string& project, std::int64_t iid,
                                const std::string& discussion_id, bool resolved) override;
  std::vector<Note> merge_request_notes(const std::string& project, std::int64_t iid) override;
  Note create_note(const std::string& project, std::int64_t iid, const std::string& body) override;
  Note update_note(const std::string& project, std::int64_t iid, std::int64_t note_id,
                   const std::string& body) override;
  void set_commit_status(const std::string& project, const std::string& sha,
                         const CommitStatus& status) override;

  std::optional<RepositoryFile> get_file(const std::string& project, const std::string& file_path,
                                         const std::string& ref) override;
  std::string create_commit(const std::string& project, const CommitRequest& request) override;
  int member_access_level(const std::string& project, std::int64_t user_id) override;

  /// HTTP requests sent so far, retries included.
  int requests_sent() const { return requests_; }

 private:
  HttpResponse call(const std::string& method, const std::string& url, const std::string& body,
                    bool may_repeat = false);
  /// Like call, but any HTTP status comes back as a response (only a network failure throws).
  HttpResponse exchange(const std::string& method, const std::string& url, const std::string& body,
                        bool may_repeat = false);
  std::string mr_path(const std::string& project, std::int64_t iid) const;
  /// GET `url` and parse its body (a JSON array when `array`), asking again when it is not JSON.
  nlohmann::json get_json(const std::string& url, bool array, HttpResponse& response);

  ClientOptions options_;
  std::unique_ptr<Transport> transport_;
  Retrier retrier_;
  int requests_ = 0;
};

/// The one-line message for a failed response: "GitLab API POST /projects/2/notes: 400 Bad Request: <message>".
std::string describe_failure(const std::string& method, const std::string& url, const HttpResponse& response);

}  // namespace agent::gitlab
