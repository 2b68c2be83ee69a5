#include "agent/gitlab/client.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <initializer_list>
#include <random>
#include <string_view>
#include <thread>

#include "agent/gitlab/pagination.h"
#include "agent/util/redact.h"

namespace agent::gitlab {
namespace {
using nlohmann::json;

long long env_number(const util::Environment& env, const char* name, long long fallback, long long min,
                     long long max) {
  std::string value = env.get_or(name, "");
  if (value.empty()) return fallback;
  long long n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || end != value.data() + value.size() || n < min || n > max)
    throw util::UsageError(std::string(name) + ": expected a whole number from " + std::to_string(min) +
                           " to " + std::to_string(max) + ", got \"" + value + "\"");
  return n;
}

std::string first_set(const util::Environment& env, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (auto v = env.get_or(n, ""); !v.empty()) return v;
  return {};
}

std::string reason_phrase(long status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "HTTP error";
  }
}

// GitLab's error bodies: {"message": "..."}, {"message": {"attr": ["..."]}}, {"error": "..."}, or text.
std::string error_detail(const std::string& body) {
  std::string detail;
  json j = json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_object()) {
    if (auto it = j.find("message"); it != j.end()) detail = it->is_string() ? it->get<std::string>() : it->dump();
    else if (auto e = j.find("error"); e != j.end()) detail = e->is_string() ? e->get<std::string>() : e->dump();
  }
  if (detail.empty()) detail = body.substr(0, body.find('\n'));
  if (detail.size() > 300) detail = detail.substr(0, 300) + "...";
  return detail;
}

// A 404 is "no such file" or "not a member" only when it does not name the project (the token
// cannot see it) or the ref ("404 Commit Not Found"): those are configuration errors to report.
bool names_resource(const HttpResponse& r, std::initializer_list<std::string_view> resources) {
  std::string detail = error_detail(r.body);
  for (std::string_view what : resources)
    if (detail.find(what) != std::string::npos) return true;
  return false;
}

json parse_object(const std::string& method, const std::string& url, const HttpResponse& r) {
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw ApiError(r.status, "GitLab API " + method + " " + url_for_display(url) + ": expected a JSON object");
  return j;
}

}  // namespace

TransportOptions transport_from_env(const util::Environment& env) {
  TransportOptions t;
  t.extra_ca_file = env.get_or("CI_SERVER_TLS_CA_FILE", "");
  // Same precedence as libcurl and git: lower-case first for http_proxy (CGI safety), both for https.
  t.https_proxy = first_set(env, {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"});
  t.http_proxy = first_set(env, {"http_proxy", "all_proxy", "ALL_PROXY"});
  t.no_proxy = first_set(env, {"no_proxy", "NO_PROXY"});
  t.request_timeout = std::chrono::seconds(env_number(env, "JIT_API_TIMEOUT_SECONDS", 60, 1, 3600));
  return t;
}

RetryPolicy retry_from_env(const util::Environment& env) {
  RetryPolicy r;
  r.max_attempts = static_cast<int>(env_number(env, "JIT_API_MAX_ATTEMPTS", r.max_attempts, 1, 20));
  r.initial_backoff = std::chrono::milliseconds(
      env_number(env, "JIT_API_RETRY_INITIAL_MS", r.initial_backoff.count(), 0, 60'000));
  r.max_total = std::chrono::seconds(env_number(env, "JIT_API_RETRY_MAX_SECONDS", 120, 0, 3600));
  return r;
}

ClientOptions ClientOptions::from_env(const util::Environment& env) {
  ClientOptions o;
  o.api_url = env.get_or("CI_API_V4_URL", "");
  if (o.api_url.empty()) {
    std::string server = env.get_or("CI_SERVER_URL", "");
    while (!server.empty() && server.back() == '/') server.pop_back();
    if (!server.empty()) o.api_url = server + "/api/v4";
  }
  while (!o.api_url.empty() && o.api_url.back() == '/') o.api_url.pop_back();
  o.token = first_set(env, {"JIT_API_TOKEN", "JIT_CHECKOUT_TOKEN"});
  if (!o.token.empty()) util::global_redactor().add(o.token);
  o.transport = transport_from_env(env);
  o.retry = retry_from_env(env);
  return o;
}

std::string describe_failure(const std::string& method, const std::string& url, const HttpResponse& response) {
  const std::string status = std::to_string(response.status) + " " + reason_phrase(response.status);
  std::string out = "GitLab API " + method + " " + url_for_display(url) + ": " + status;
  std::string detail = error_detail(response.body);
  if (!detail.empty() && detail != status) out += ": " + detail;  // {"message":"401 Unauthorized"} says nothing new
  return util::global_redactor().apply(out);
}

Client::Client(ClientOptions options)
    : Client(options, std::make_unique<CurlTransport>(options.transport),
             [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }) {}

Client::Client(ClientOptions options, std::unique_ptr<Transport> transport, Sleeper sleeper)
    : options_(std::move(options)),
      transport_(std::move(transport)),
      retrier_(*transport_, options_.retry, std::move(sleeper), std::random_device{}()) {
  if (options_.api_url.empty())
    throw util::UsageError("no GitLab API URL: set CI_API_V4_URL or CI_SERVER_URL");
}

Client::~Client() = default;

HttpResponse Client::call(const std::string& method, const std::string& url, const std::string& body,
                          bool may_repeat) {
  HttpResponse response = exchange(method, url, body, may_repeat);
  if (response.status < 200 || response.status >= 300)
    throw ApiError(response.status, describe_failure(method, url, response));
  return response;
}

HttpResponse Client::exchange(const std::string& method, const std::string& url, const std::string& body,
                              bool may_repeat) {
  HttpRequest request;
  request.method = method;
  request.url = url;
  request.may_repeat = may_repeat;
  request.headers.emplace_back("Accept", "application/json");
  if (!options_.token.empty()) request.headers.emplace_back("PRIVATE-TOKEN", options_.token);
  if (method != "GET") {
    request.body = body;
    if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
  }
  int attempts = 0;
  HttpResponse response;
  try {
    response = retrier_.send(request, &attempts);
  } catch (const NetworkError& e) {
    requests_ += attempts;
    throw ApiError(0, util::global_redactor().apply(std::string("GitLab API ") + e.what() +
                                                    (e.tls() ? " (TLS: is CI_SERVER_TLS_CA_FILE set?)" : "")));
  }
  requests_ += attempts;
  spdlog::debug("{} {} -> {} ({} attempt{})", method, url_for_display(url), response.status, attempts,
                attempts == 1 ? "" : "s");
  return response;
}

json Client::get_json(const std::string& url, bool array, HttpResponse& response) {
  // A 2xx answer whose body is cut short (a proxy or a connection that dropped mid-body) is a
  // transient fault like a reset: a GET is asked again, within the same attempt budget.
  const int attempts = std::max(1, options_.retry.max_attempts);
  for (int attempt = 1;; ++attempt) {
    response = call("GET", url, "");
    if (!array && response.body.empty()) return json();
    json j = json::parse(response.body, nullptr, false);
    if (!j.is_discarded() && (!array || j.is_array())) return j;
    if (attempt >= attempts)
      throw ApiError(response.status, "GitLab API GET " + url_for_display(url) +
                                          (array ? ": expected a JSON array" : ": the answer is not JSON"));
    spdlog::debug("GET {}: the answer is not {} (cut short?); asking again", url_for_display(url),
                  array ? "a JSON array" : "JSON");
    retrier_.wait_before_retry(attempt);
  }
}

json Client::get(const std::string& path) {
  HttpResponse r;
  return get_json(options_.api_url + path, false, r);
}

std::vector<json> Client::get_all(const std::string& path) {
  std::vector<json> items;
  std::string url = with_query(options_.api_url + path, "per_page", "100");
  for (int page = 0; !url.empty(); ++page) {
    if (page >= options_.max_pages)
      throw ApiError(0, "GitLab API GET " + url_for_display(url) + ": more than " +
                            std::to_string(options_.max_pages) + " pages; stopped");
    HttpResponse r;
    json j = get_json(url, true, r);
    for (auto& item : j) items.push_back(std::move(item));
    url = next_page_url(r, url, options_.api_url);
  }
  return items;
}

json Client::send(const std::string& method, const std::string& path, const json& body, bool may_repeat) {
  HttpResponse r = call(method, options_.api_url + path, body.is_null() ? std::string() : body.dump(), may_repeat);
  if (r.body.empty()) return json();
  json j = json::parse(r.body, nullptr, false);
  return j.is_discarded() ? json() : j;
}

std::string Client::mr_path(const std::string& project, std::int64_t iid) const {
  return "/projects/" + url_encode(project) + "/merge_requests/" + std::to_string(iid);
}

std::vector<MrVersion> Client::merge_request_versions(const std::string& project, std::int64_t iid) {
  std::vector<MrVersion> out;
  for (const auto& j : get_all(mr_path(project, iid) + "/versions")) out.push_back(parse_mr_version(j));
  return out;
}

std::vector<Discussion> Client::merge_request_discussions(const std::string& project, std::int64_t iid) {
  std::vector<Discussion> out;
  for (const auto& j : get_all(mr_path(project, iid) + "/discussions")) out.push_back(parse_discussion(j));
  return out;
}

Discussion Client::create_discussion(const std::string& project, std::int64_t iid, const std::string& body,
                                     const std::optional<Position>& position) {
  json request = {{"body", body}};
  if (position) request["position"] = to_json(*position);
  return parse_discussion(send("POST", mr_path(project, iid) + "/discussions", request));
}

Note Client::reply_to_discussion(const std::string& project, std::int64_t iid, const std::string& discussion_id,
                                 const std::string& body) {
  return parse_note(send("POST", mr_path(project, iid) + "/discussions/" + url_encode(discussion_id) + "/notes",
                         json{{"body", body}}));
}

Discussion Client::resolve_discussion(const std::string& project, std::int64_t iid,
                                      const std::string& discussion_id, bool resolved) {
  return parse_discussion(send("PUT",
                               mr_path(project, iid) + "/discussions/" + url_encode(discussion_id) +
                                   "?resolved=" + (resolved ? "true" : "false"),
                               json()));
}

std::vector<Note> Client::merge_request_notes(const std::string& project, std::int64_t iid) {
  std::vector<Note> out;
  for (const auto& j : get_all(mr_path(project, iid) + "/notes?sort=asc&order_by=created_at"))
    out.push_back(parse_note(j));
  return out;
}

Note Client::create_note(const std::string& project, std::int64_t iid, const std::string& body) {
  return parse_note(send("POST", mr_path(project, iid) + "/notes", json{{"body", body}}));
}

Note Client::update_note(const std::string& project, std::int64_t iid, std::int64_t note_id,
                         const std::string& body) {
  return parse_note(send("PUT", mr_path(project, iid) + "/notes/" + std::to_string(note_id), json{{"body", body}}));
}

void Client::set_commit_status(const std::string& project, const std::string& sha, const CommitStatus& status) {
  // Setting the same state twice is harmless (GitLab answers 400 "Cannot transition", see callers).
  send("POST", "/projects/" + url_encode(project) + "/statuses/" + url_encode(sha), to_json(status), true);
}

std::optional<RepositoryFile> Client::get_file(const std::string& project, const std::string& file_path,
                                               const std::string& ref) {
  const std::string url = options_.api_url + "/projects/" + url_encode(project) + "/repository/files/" +
                          url_encode(file_path) + "?ref=" + url_encode(ref);
  HttpResponse r = exchange("GET", url, "");
  if (r.status == 404 && !names_resource(r, {"Project Not Found", "Commit Not Found"})) return std::nullopt;
  if (r.status < 200 || r.status >= 300) throw ApiError(r.status, describe_failure("GET", url, r));
  json j = parse_object("GET", url, r);
  try {
    return parse_repository_file(j);
  } catch (const util::RuntimeError& e) {
    throw ApiError(r.status, "GitLab API GET " + url_for_display(url) + ": " + e.what());
  }
}

std::string Client::create_commit(const std::string& project, const CommitRequest& request) {
  const std::string url = options_.api_url + "/projects/" + url_encode(project) + "/repository/commits";
  // Not may_repeat: a commit sent twice is two commits (the retrier only repeats what surely was not applied).
  HttpResponse r = exchange("POST", url, to_json(request).dump());
  if (r.status == 400 && is_stale_file_message(error_detail(r.body)))
    throw StaleFileError(r.status, describe_failure("POST", url, r));
  if (r.status < 200 || r.status >= 300) throw ApiError(r.status, describe_failure("POST", url, r));
  json j = parse_object("POST", url, r);
  auto id = j.find("id");
  if (id == j.end() || !id->is_string() || id->get<std::string>().empty())
    throw ApiError(r.status, "GitLab API POST " + url_for_display(url) + ": the answer names no commit id");
  return id->get<std::string>();
}

int Client::member_access_level(const std::string& project, std::int64_t user_id) {
  const std::string url =
      options_.api_url + "/projects/" + url_encode(project) + "/members/all/" + std::to_string(user_id);
  HttpResponse r = exchange("GET", url, "");
  if (r.status == 404 && !names_resource(r, {"Project Not Found"})) return access_level::none;
  if (r.status < 200 || r.status >= 300) throw ApiError(r.status, describe_failure("GET", url, r));
  json j = parse_object("GET", url, r);
  auto level = j.find("access_level");
  if (level == j.end() || !level->is_number_integer())
    throw ApiError(r.status, "GitLab API GET " + url_for_display(url) + ": the answer has no access_level");
  return level->get<int>();
}

}  // namespace agent::gitlab
