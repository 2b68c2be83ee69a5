#include "agent/gitlab/retry.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <string>

namespace agent::gitlab {
namespace {
using std::chrono::milliseconds;
}

bool is_retryable_status(long status) {
  return status == 408 || status == 409 || status == 429 || (status >= 500 && status <= 599);
}

bool is_retryable_unsafe_status(long status) { return status == 429 || status == 503; }

std::optional<milliseconds> parse_retry_after(std::string_view value,
                                              std::chrono::system_clock::time_point now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  // A server's number can be anything: waits past this are capped here (the caller caps them
  // further), so nothing below overflows.
  constexpr long long kMaxSeconds = 100LL * 365 * 24 * 3600;
  long long seconds = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc() && end == value.data() + value.size() && seconds >= 0)
    return milliseconds(std::min(seconds, kMaxSeconds) * 1000);
  // HTTP-date, e.g. "Tue, 05 Jan 2021 11:00:00 GMT" (RFC 9110 IMF-fixdate).
  std::tm tm{};
  std::string text(value);
  if (!strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm)) return std::nullopt;
  const long long when = timegm(&tm);
  const long long now_s = std::chrono::system_clock::to_time_t(now);
  if (when <= now_s) return milliseconds(0);
  if (when - now_s > kMaxSeconds) return milliseconds(kMaxSeconds * 1000);
  auto at = std::chrono::system_clock::from_time_t(static_cast<std::time_t>(when));
  if (at <= now) return milliseconds(0);
  return std::chrono::duration_cast<milliseconds>(at - now);
}

milliseconds backoff_delay(int attempt, const RetryPolicy& policy, std::mt19937_64& rng) {
  long long cap = policy.initial_backoff.count();
  for (int i = 1; i < attempt && cap < policy.max_backoff.count(); ++i) cap *= 2;
  cap = std::min<long long>(cap, policy.max_backoff.count());
  if (cap <= 0) return milliseconds(0);
  std::uniform_int_distribution<long long> dist(0, cap);
  return milliseconds(dist(rng));
}

Retrier::Retrier(Transport& transport, RetryPolicy policy, Sleeper sleeper, std::uint64_t seed)
    : transport_(transport), policy_(policy), sleep_(std::move(sleeper)), rng_(seed) {
  policy_.max_attempts = std::max(1, policy_.max_attempts);
}

void Retrier::wait_before_retry(int attempt) { sleep_(backoff_delay(attempt, policy_, rng_)); }

HttpResponse Retrier::send(const HttpRequest& request, int* attempts) {
  milliseconds waited{0};
  for (int attempt = 1;; ++attempt) {
    if (attempts) *attempts = attempt;
    std::optional<HttpResponse> response;
    std::optional<NetworkError> failure;
    const bool repeatable = request.method != "POST" || request.may_repeat;
    const auto started = std::chrono::steady_clock::now();
    try {
      response = transport_.perform(request);
    } catch (const NetworkError& e) {
      if (e.tls()) throw;                   // a certificate problem does not fix itself
      if (!repeatable && e.sent()) throw;   // may have been applied: the caller checks
      failure = e;
    }
    // Time spent in slow requests counts against the budget as much as time spent waiting.
    waited += std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started);
    if (response && !(repeatable ? is_retryable_status(response->status)
                                 : is_retryable_unsafe_status(response->status)))
      return *response;

    milliseconds delay = backoff_delay(attempt, policy_, rng_);
    if (response && response->status == 429) {
      // GitLab says how long to wait; honour it (and never go below our own backoff).
      if (auto after = parse_retry_after(response->header("retry-after"), std::chrono::system_clock::now()))
        delay = std::max(delay, *after);
    }
    const bool out_of_attempts = attempt >= policy_.max_attempts;
    const bool out_of_time = waited + delay > policy_.max_total;
    if (out_of_attempts || out_of_time) {
      if (response) return *response;
      throw *failure;
    }
    spdlog::debug("{} {}: {}; retry {}/{} in {} ms", request.method, url_for_display(request.url),
                  response ? "HTTP " + std::to_string(response->status) : std::string(failure->what()),
                  attempt, policy_.max_attempts - 1, delay.count());
    sleep_(delay);
    waited += delay;
  }
}

}  // namespace agent::gitlab
