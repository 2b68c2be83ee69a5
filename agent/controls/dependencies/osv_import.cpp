#include "agent/controls/dependencies/osv_import.h"

#include <zip.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "agent/util/error.h"
#include <fstream>
#include <sstream>

namespace agent::controls::dependencies {
namespace fs = std::filesystem;
namespace {

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};
struct ZipFileCloser {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};

std::string read_whole(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw util::RuntimeError("cannot read " + p.string());
  std::ostringstream buf;
  buf << in.rdbuf();
  return std::move(buf).str();
}

bool ends_with_json(std::string_view name) {
  return name.size() > 5 && name.substr(name.size() - 5) == ".json";
}

void add_document(OsvDbWriter& writer, const nlohmann::json& doc, const std::string& source,
                  std::string_view origin, ImportStats& stats) {
  OsvParseResult r = parse_osv_record(doc, source);
  for (auto& w : r.warnings) stats.warnings.push_back(std::move(w));
  if (r.record) {
    writer.add(*r.record, origin);
    ++stats.records;
  } else {
    ++stats.skipped;
  }
}

}  // namespace

void import_json_text(OsvDbWriter& writer, std::string_view text, const std::string& source,
                      std::string_view origin, ImportStats& stats) {
  ++stats.files;
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    // Re-parse through the validating path for a message with line and column.
    OsvParseResult r = parse_osv_text(text, source);
    for (auto& w : r.warnings) stats.warnings.push_back(std::move(w));
    ++stats.skipped;
    return;
  }
  if (doc.is_array()) {
    for (std::size_t i = 0; i < doc.size(); ++i) {
      add_document(writer, doc[i], source + "[" + std::to_string(i) + "]", origin, stats);
    }
  } else if (doc.is_object() && !doc.contains("id") && doc.contains("vulns") && doc["vulns"].is_array()) {
    for (std::size_t i = 0; i < doc["vulns"].size(); ++i) {
      add_document(writer, doc["vulns"][i], source + ":vulns[" + std::to_string(i) + "]", origin, stats);
    }
  } else {
    add_document(writer, doc, source, origin, stats);
  }
}

void import_zip(OsvDbWriter& writer, const fs::path& path, std::string_view origin, ImportStats& stats) {
  int err = 0;
  std::unique_ptr<zip_t, ZipCloser> archive(zip_open(path.c_str(), ZIP_RDONLY, &err));
  if (!archive) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, err);
    std::string msg = zip_error_strerror(&ze);
    zip_error_fini(&ze);
    throw util::RuntimeError("cannot open zip " + path.string() + ": " + msg);
  }
  zip_int64_t n = zip_get_num_entries(archive.get(), 0);
  std::string buffer;
  for (zip_int64_t i = 0; i < n; ++i) {
    zip_stat_t st;
    if (zip_stat_index(archive.get(), static_cast<zip_uint64_t>(i), 0, &st) != 0) continue;
    std::string name = st.name ? st.name : "";
    if (!ends_with_json(name)) continue;
    std::string source = path.string() + ":" + name;
    constexpr zip_uint64_t kMaxEntry = 64ull << 20;  // no OSV record comes near this
    if ((st.valid & ZIP_STAT_SIZE) && st.size > kMaxEntry) {
      stats.warnings.push_back(source + ": record skipped: entry larger than 64 MiB");
      ++stats.skipped;
      continue;
    }
    std::unique_ptr<zip_file_t, ZipFileCloser> file(zip_fopen_index(archive.get(), static_cast<zip_uint64_t>(i), 0));
    if (!file) {
      stats.warnings.push_back(source + ": record skipped: " + zip_strerror(archive.get()));
      ++stats.skipped;
      continue;
    }
    buffer.resize(static_cast<std::size_t>(st.size));
    zip_int64_t got = zip_fread(file.get(), buffer.data(), st.size);
    if (got < 0 || static_cast<zip_uint64_t>(got) != st.size) {
      stats.warnings.push_back(source + ": record skipped: cannot read the entry (corrupt zip?)");
      ++stats.skipped;
      continue;
    }
    import_json_text(writer, buffer, source, origin, stats);
  }
}

void import_path(OsvDbWriter& writer, const fs::path& path, std::string_view origin, ImportStats& stats) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<fs::path> files;
    for (auto it = fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file(ec) && ends_with_json(it->path().filename().string())) files.push_back(it->path());
    }
    if (ec) throw util::RuntimeError("cannot list " + path.string() + ": " + ec.message());
    std::sort(files.begin(), files.end());  // same order, same result, every run
    for (const auto& f : files) import_json_text(writer, read_whole(f), f.string(), origin, stats);
    return;
  }
  if (!fs::exists(path, ec)) throw util::RuntimeError("no such file or folder: " + path.string());
  if (path.extension() == ".zip") {
    import_zip(writer, path, origin, stats);
  } else {
    import_json_text(writer, read_whole(path), path.string(), origin, stats);
  }
}

}  // namespace agent::controls::dependencies
