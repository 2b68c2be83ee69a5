#pragma once
// A scripted Transport for unit tests: answers requests from a queue and records them.
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agent/gitlab/http.h"

namespace agent::gitlab::test {

class FakeTransport : public Transport {
 public:
  /// A reply: a response, or a network failure when `failure` is set.
  struct Reply {
    HttpResponse response;
    std::optional<std::string> failure;
    bool tls = false;
    bool sent = false;
  };

  /// Queues a response with `status`, `body` and headers.
  void reply(long status, std::string body, Headers headers = {}) {
    Reply r;
    r.response.status = status;
    r.response.body = std::move(body);
    r.response.headers = std::move(headers);
    replies_.push_back(std::move(r));
  }
  /// Queues a network failure (`sent`: after the request went out, e.g. a timeout).
  void fail(std::string message, bool tls = false, bool sent = false) {
    Reply r;
    r.failure = std::move(message);
    r.tls = tls;
    r.sent = sent;
    replies_.push_back(std::move(r));
  }

  HttpResponse perform(const HttpRequest& request) override {
    requests.push_back(request);
    if (replies_.empty()) throw NetworkError("no scripted reply for " + request.method + " " + request.url, false);
    Reply r = std::move(replies_.front());
    replies_.pop_front();
    if (r.failure) throw NetworkError(*r.failure, r.tls, r.sent);
    return r.response;
  }

  std::size_t pending() const { return replies_.size(); }
  std::vector<HttpRequest> requests;

 private:
  std::deque<Reply> replies_;
};

/// Finds a header's value in a request ("" when absent).
inline std::string request_header(const HttpRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

}  // namespace agent::gitlab::test
