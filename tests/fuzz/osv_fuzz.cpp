// Fuzz target: OSV records (downloaded exports, `osv import` files). parse_osv_text validates one
// document; a record it keeps then goes through what the database and the matcher do with it: the
// codec round trip (which must give the same affected entry back), version comparisons of its
// events in the ecosystem's scheme, and CVSS scores of its severity vectors.
// Documented: util::Error; a skipped record is a warning, not an exception.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "agent/controls/dependencies/cvss.h"
#include "agent/controls/dependencies/osv_codec.h"
#include "agent/controls/dependencies/osv_record.h"
#include "agent/controls/dependencies/version.h"
#include "agent/util/error.h"
#include "tests/fuzz/fuzz_common.h"

namespace {

using namespace agent::controls::dependencies;

void exercise(const OsvRecord& record) {
  for (const auto& s : record.severity) (void)cvss_base_score(s.score);
  for (const auto& a : record.affected) {
    OsvAffected back = decode_affected(encode_affected(a));
    if (back.ecosystem != a.ecosystem || back.name != a.name || back.versions != a.versions ||
        back.ranges.size() != a.ranges.size()) {
      std::fprintf(stderr, "osv codec round trip changed %s/%s\n", a.ecosystem.c_str(), a.name.c_str());
      std::abort();
    }
    for (const auto& s : a.severity) (void)cvss_base_score(s.score);
    Scheme scheme = scheme_for_ecosystem(a.ecosystem);
    (void)normalize_package_name(a.ecosystem, a.name);
    std::string previous;
    for (const auto& r : a.ranges)
      for (const auto& e : r.events) {
        (void)is_valid_version(scheme, e.version);
        if (!previous.empty()) (void)compare_versions(scheme, previous, e.version);
        previous = e.version;
      }
    for (const auto& v : a.versions) {
      if (!previous.empty()) (void)compare_versions(scheme, previous, v);
      previous = v;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > fuzz::kMaxInput) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    OsvParseResult r = parse_osv_text(text, "osv.json");
    if (r.record) exercise(*r.record);
  } catch (const agent::util::Error&) {
  }
  return 0;
}
