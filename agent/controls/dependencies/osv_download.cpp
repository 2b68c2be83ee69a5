#include "agent/controls/dependencies/osv_download.h"

#include <curl/curl.h>

#include <cctype>
#include <cstdio>
#include <memory>
#include <mutex>

#include "agent/util/error.h"
#include "agent/util/redact.h"

namespace agent::controls::dependencies {
namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

struct Headers {
  std::string etag;
  std::string last_modified;
};

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

bool header_is(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
  }
  return true;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* h = static_cast<Headers*>(user);
  std::string_view line(data, size * n);
  // A redirect's headers come first: each new status line starts over.
  if (line.starts_with("HTTP/")) *h = Headers{};
  if (header_is(line, "etag")) h->etag = trim(line.substr(5));
  if (header_is(line, "last-modified")) h->last_modified = trim(line.substr(14));
  return size * n;
}

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  return std::fwrite(data, size, n, static_cast<std::FILE*>(user)) * size;
}

}  // namespace

std::string export_url(std::string_view base, std::string_view ecosystem) {
  std::string url(base);
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += '/';
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : ecosystem) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      url += static_cast<char>(c);
    } else {
      url += '%';
      url += kHex[c >> 4];
      url += kHex[c & 15];
    }
  }
  return url + "/all.zip";
}

DownloadResult download_if_changed(const std::string& url, const std::filesystem::path& dest,
                                   const std::string& etag, const std::string& last_modified) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) throw util::RuntimeError("cannot initialise libcurl");
  std::unique_ptr<std::FILE, FileCloser> out(std::fopen(dest.c_str(), "wb"));
  if (!out) throw util::RuntimeError("cannot write " + dest.string());
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  auto add_header = [&headers](const std::string& h) {
    curl_slist* l = curl_slist_append(headers.get(), h.c_str());
    if (l) {
      headers.release();
      headers.reset(l);
    }
  };
  if (!etag.empty()) add_header("If-None-Match: " + etag);
  if (!last_modified.empty()) add_header("If-Modified-Since: " + last_modified);
  Headers got;
  char error[CURL_ERROR_SIZE] = {0};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  // Give up on a stalled transfer (under 1 KiB/s for 60 s), not on a slow big one.
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "jit-agent/" JIT_AGENT_VERSION);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &got);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, out.get());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  CURLcode rc = curl_easy_perform(c);
  bool flushed = std::fflush(out.get()) == 0;
  std::string shown = util::redact_urls(url);
  if (rc != CURLE_OK) {
    throw util::RuntimeError("download of " + shown + " failed: " + (error[0] ? error : curl_easy_strerror(rc)));
  }
  if (!flushed) throw util::RuntimeError("cannot write " + dest.string());
  DownloadResult r;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_off_t size = 0;
  curl_easy_getinfo(c, CURLINFO_SIZE_DOWNLOAD_T, &size);
  r.bytes = static_cast<std::uint64_t>(size);
  if (r.status == 304) {
    r.not_modified = true;
    r.etag = got.etag.empty() ? etag : got.etag;
    r.last_modified = got.last_modified.empty() ? last_modified : got.last_modified;
    return r;
  }
  if (r.status < 200 || r.status >= 300) {
    throw util::RuntimeError("download of " + shown + " failed: HTTP " + std::to_string(r.status));
  }
  r.etag = got.etag;
  r.last_modified = got.last_modified;
  return r;
}

}  // namespace agent::controls::dependencies
