#pragma once
// Bounded retries: 429 waits for Retry-After; 5xx, 409 and network errors back off
// exponentially with full jitter. Both the attempt count and the total time are capped.
#include <chrono>
#include <functional>
#include <optional>
#include <random>
#include <string_view>

#include "agent/gitlab/http.h"

namespace agent::gitlab {

struct RetryPolicy {
  int max_attempts = 5;                                 ///< including the first one (>= 1)
  std::chrono::milliseconds initial_backoff{500};       ///< before the second attempt (before jitter)
  std::chrono::milliseconds max_backoff{30'000};        ///< cap of one exponential step
  std::chrono::milliseconds max_total{120'000};         ///< no new attempt once waiting would pass this
};

/// Blocks for the given time (std::this_thread::sleep_for in production; a recorder in tests).
using Sleeper = std::function<void(std::chrono::milliseconds)>;

/// True for statuses worth another attempt: 408, 409 (GitLab's resource lock), 429 and 5xx.
bool is_retryable_status(long status);

/// For a request that must not be applied twice (a POST creating a note): only answers that
/// say it was not processed (429, 503) may be retried.
bool is_retryable_unsafe_status(long status);

/// Seconds from a Retry-After header: delta-seconds or an HTTP date; nullopt when unparsable.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now);

/// The wait before attempt `attempt + 1` (attempt is 1-based): uniform in
/// [0, min(max_backoff, initial_backoff * 2^(attempt-1))] ("full jitter").
std::chrono::milliseconds backoff_delay(int attempt, const RetryPolicy& policy, std::mt19937_64& rng);

/// Sends a request through a Transport, retrying per the policy. Thread-compatible (one per thread).
class Retrier {
 public:
  Retrier(Transport& transport, RetryPolicy policy, Sleeper sleeper, std::uint64_t seed);

  /// The final response (success or a non-retryable/exhausted error status); throws the last
  /// NetworkError when every attempt failed without a response. `attempts` receives the count.
  /// A POST (unless `may_repeat`) is only repeated when it surely was not acted on: 429, 503, or
  /// a network failure before the request went out; other failures are returned at once, so
  /// the caller can check what happened instead of creating a duplicate.
  HttpResponse send(const HttpRequest& request, int* attempts = nullptr);

  const RetryPolicy& policy() const { return policy_; }

  /// Waits as send() would before attempt `attempt + 1` (for a caller that found a 2xx answer
  /// unusable, such as a truncated JSON body, and asks again).
  void wait_before_retry(int attempt);

 private:
  Transport& transport_;
  RetryPolicy policy_;
  Sleeper sleep_;
  std::mt19937_64 rng_;
};

}  // namespace agent::gitlab
