#include "agent/report/time_format.h"

#include <cstdio>

namespace agent::report {

std::string gitlab_timestamp(std::chrono::system_clock::time_point time) {
  // Calendar arithmetic from <chrono> instead of gmtime: thread-safe and no time-zone state.
  auto secs = std::chrono::floor<std::chrono::seconds>(time);
  auto days = std::chrono::floor<std::chrono::days>(secs);
  std::chrono::year_month_day ymd{days};
  std::chrono::hh_mm_ss hms{secs - days};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ld", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                static_cast<long>(hms.seconds().count()));
  return buf;
}

std::string rfc3339_utc(std::chrono::system_clock::time_point time) {
  return gitlab_timestamp(time) + "Z";
}

long long duration_ms(std::chrono::system_clock::time_point start,
                      std::chrono::system_clock::time_point end) {
  if (end < start) return 0;
  return std::chrono::duration_cast<std::chrono::milliseconds>(end - start).count();
}

}  // namespace agent::report
