#include "agent/gitlab/http.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>

#include "agent/util/error.h"
#include "agent/util/redact.h"

namespace agent::gitlab {
namespace {

// curl_global_init is not thread-safe and must run once before any handle exists.
void ensure_curl_initialised() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* headers = static_cast<Headers*>(user);
  std::string_view line(data, size * count);
  // A new status line (after 100 Continue or a redirect) starts a new header block.
  if (line.rfind("HTTP/", 0) == 0) {
    headers->clear();
    return size * count;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos)
    headers->emplace_back(lower(trim(line.substr(0, colon))), trim(line.substr(colon + 1)));
  return size * count;
}

bool is_tls_error(CURLcode code) {
  switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return true;
    default:
      return false;
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string default_system_ca_file() {
  ensure_curl_initialised();
  EasyHandle h(curl_easy_init());
  char* path = nullptr;
  if (h && curl_easy_getinfo(h.get(), CURLINFO_CAINFO, &path) == CURLE_OK && path) return path;
  return "/etc/ssl/certs/ca-certificates.crt";
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  std::string key = lower(name);
  for (const auto& [k, v] : headers)
    if (k == key) return v;
  return {};
}

CurlTransport::CurlTransport(TransportOptions options) : options_(std::move(options)) {
  ensure_curl_initialised();
  if (options_.extra_ca_file.empty()) return;
  std::string extra = read_file(options_.extra_ca_file);
  if (extra.empty())
    throw util::RuntimeError("cannot read the CA file " + options_.extra_ca_file +
                             " (CI_SERVER_TLS_CA_FILE)");
  // CURLOPT_CAINFO_BLOB replaces the default bundle, so both go into one blob: the custom CA
  // is trusted in addition to the system CAs, as GitLab runners do.
  std::string system = options_.system_ca_file.empty() ? default_system_ca_file() : options_.system_ca_file;
  ca_bundle_ = read_file(system);
  if (!ca_bundle_.empty() && ca_bundle_.back() != '\n') ca_bundle_ += '\n';
  ca_bundle_ += extra;
}

CurlTransport::~CurlTransport() = default;

HttpResponse CurlTransport::perform(const HttpRequest& request) {
  EasyHandle h(curl_easy_init());
  if (!h) throw NetworkError("cannot create a libcurl handle", false);
  CURL* c = h.get();
  HttpResponse response;
  char error[CURL_ERROR_SIZE] = {0};

  Slist headers;
  auto append = [&headers](const std::string& line) {
    curl_slist* next = curl_slist_append(headers.get(), line.c_str());
    if (!next) throw NetworkError("out of memory building request headers", false);
    (void)headers.release();
    headers.reset(next);
  };
  for (const auto& [name, value] : request.headers) append(name + ": " + value);
  append("Expect:");  // no 100-continue round trip for small JSON bodies

  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // never carry the token to another URL
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout.count()));
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &response.headers);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());

  // Proxies are passed explicitly (an empty string disables libcurl's own environment lookup).
  const bool https = request.url.rfind("https://", 0) == 0;
  const std::string& proxy = https ? options_.https_proxy : options_.http_proxy;
  curl_easy_setopt(c, CURLOPT_PROXY, proxy.c_str());
  if (!options_.no_proxy.empty()) curl_easy_setopt(c, CURLOPT_NOPROXY, options_.no_proxy.c_str());

  curl_blob blob{};
  if (!ca_bundle_.empty()) {
    blob.data = ca_bundle_.data();
    blob.len = ca_bundle_.size();
    blob.flags = CURL_BLOB_NOCOPY;
    curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
  }

  if (request.method == "GET") {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else {
    if (request.method != "POST") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
  }

  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    std::string detail = error[0] ? std::string(error) : std::string(curl_easy_strerror(rc));
    while (!detail.empty() && (detail.back() == '\n' || detail.back() == '\r')) detail.pop_back();
    long request_bytes = 0;
    curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &request_bytes);
    throw NetworkError(request.method + " " + url_for_display(request.url) + ": " +
                           util::redact_urls(detail),
                       is_tls_error(rc), request_bytes > 0);
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char ch : text) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 0xF];
    }
  }
  return out;
}

std::string url_for_display(std::string_view url) {
  auto q = url.find_first_of("?#");
  return util::redact_urls(url.substr(0, q));
}

}  // namespace agent::gitlab
