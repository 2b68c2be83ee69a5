#pragma once
// HTTP over libcurl: one request in, one response out. Retries, pagination and GitLab's
// conventions live above this layer (retry.h, client.h) so tests can swap the transport.
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agent::gitlab {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";   ///< GET | POST | PUT | DELETE
  std::string url;
  Headers headers;              ///< sent as given ("Name", "value")
  std::string body;             ///< sent when non-empty (or when the method is POST/PUT)
  /// A POST that may be sent twice without harm (a commit status). GET, PUT and DELETE always may.
  bool may_repeat = false;
};

struct HttpResponse {
  long status = 0;
  Headers headers;              ///< names lower-cased; the last response's headers after redirects
  std::string body;

  /// The value of header `name` (case-insensitive), or "" when absent.
  std::string header(std::string_view name) const;
};

/// A request that never got a complete HTTP response (DNS, connect, TLS, reset, timeout).
/// The message names the URL without credentials and never the request headers.
class NetworkError : public std::runtime_error {
 public:
  NetworkError(const std::string& message, bool tls, bool sent = false)
      : std::runtime_error(message), tls_(tls), sent_(sent) {}
  /// True for certificate and handshake failures (retrying does not help).
  bool tls() const noexcept { return tls_; }
  /// True when the request went out before the failure (a timeout or reset while waiting for the
  /// answer): the server may have acted on it.
  bool sent() const noexcept { return sent_; }

 private:
  bool tls_;
  bool sent_;
};

/// Sends one request. Implementations: CurlTransport, and in-memory fakes in tests.
class Transport {
 public:
  virtual ~Transport() = default;
  /// Performs `request`; throws NetworkError when no HTTP response arrived.
  virtual HttpResponse perform(const HttpRequest& request) = 0;
};

/// How libcurl connects: extra CA, proxies (explicit, never read from the environment here),
/// time limits.
struct TransportOptions {
  std::string extra_ca_file;    ///< PEM file trusted in addition to the system CAs ("" = none)
  std::string system_ca_file;   ///< system bundle; "" = libcurl's built-in default
  std::string https_proxy;      ///< proxy for https:// URLs ("" = none)
  std::string http_proxy;       ///< proxy for http:// URLs ("" = none)
  std::string no_proxy;         ///< comma-separated hosts that bypass the proxy
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds request_timeout{60'000};
  std::string user_agent = std::string("jit-agent/") + JIT_AGENT_VERSION;
};

/// libcurl easy handle per request (RAII); the CA bundle is read once at construction.
class CurlTransport : public Transport {
 public:
  /// Throws util::RuntimeError when `extra_ca_file` cannot be read.
  explicit CurlTransport(TransportOptions options);
  ~CurlTransport() override;
  HttpResponse perform(const HttpRequest& request) override;

 private:
  TransportOptions options_;
  std::string ca_bundle_;       ///< system CAs + extra CA, PEM; empty when no extra CA
};

/// Percent-encodes `text` for use as one URL path segment or query value (RFC 3986 unreserved kept).
std::string url_encode(std::string_view text);

/// "https://host/path?query" -> "https://host/path" with credentials removed (for messages).
std::string url_for_display(std::string_view url);

}  // namespace agent::gitlab
