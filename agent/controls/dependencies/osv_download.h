#pragma once
// Conditional HTTP download of an OSV export (libcurl): ETag / If-Modified-Since, so an
// unchanged all.zip costs one round trip.
#include <filesystem>
#include <string>

namespace agent::controls::dependencies {

struct DownloadResult {
  long status = 0;              ///< HTTP status (200 or 304)
  bool not_modified = false;    ///< 304: `dest` was not written
  std::string etag;             ///< the response's ETag (or the one sent, on 304)
  std::string last_modified;    ///< the response's Last-Modified (or the one sent, on 304)
  std::uint64_t bytes = 0;
};

/// GETs `url` into `dest`, sending If-None-Match / If-Modified-Since when given. Throws
/// RuntimeError on network errors and on statuses other than 2xx and 304.
DownloadResult download_if_changed(const std::string& url, const std::filesystem::path& dest,
                                   const std::string& etag, const std::string& last_modified);

/// `base` + "/" + percent-encoded `ecosystem` + "/all.zip".
std::string export_url(std::string_view base, std::string_view ecosystem);

}  // namespace agent::controls::dependencies
