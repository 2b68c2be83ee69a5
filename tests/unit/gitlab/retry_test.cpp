#include <catch2/catch_test_macros.hpp>

#include <set>

#include "agent/gitlab/retry.h"
#include "fake_transport.h"

using namespace agent::gitlab;
using std::chrono::milliseconds;

namespace {
struct Recorder {
  std::vector<milliseconds> sleeps;
  Sleeper sleeper() {
    return [this](milliseconds d) { sleeps.push_back(d); };
  }
};
HttpRequest get(const std::string& url) {
  HttpRequest r;
  r.url = url;
  return r;
}
}  // namespace

TEST_CASE("retryable statuses") {
  CHECK(is_retryable_status(429));
  CHECK(is_retryable_status(500));
  CHECK(is_retryable_status(503));
  CHECK(is_retryable_status(409));
  CHECK_FALSE(is_retryable_status(400));
  CHECK_FALSE(is_retryable_status(401));
  CHECK_FALSE(is_retryable_status(404));
  CHECK_FALSE(is_retryable_status(201));
}

TEST_CASE("Retry-After parses seconds and HTTP dates") {
  auto now = std::chrono::system_clock::from_time_t(1609844370);  // 30 s before the date below
  CHECK(parse_retry_after("30", now) == milliseconds(30'000));
  CHECK(parse_retry_after(" 0 ", now) == milliseconds(0));
  CHECK(parse_retry_after("Tue, 05 Jan 2021 11:00:00 GMT", now) == milliseconds(30'000));
  CHECK(parse_retry_after("Tue, 05 Jan 2021 10:00:00 GMT", now) == milliseconds(0));
  CHECK_FALSE(parse_retry_after("soon", now).has_value());
  CHECK_FALSE(parse_retry_after("", now).has_value());
  CHECK_FALSE(parse_retry_after("-5", now).has_value());
}

TEST_CASE("Retry-After far in the future is capped, never overflows (fuzz regression)") {
  auto now = std::chrono::system_clock::from_time_t(1609844370);
  const auto cap = milliseconds(100LL * 365 * 24 * 3600 * 1000);
  // 2306 is past what system_clock's nanoseconds can hold (2262).
  CHECK(parse_retry_after("Wed, 21 Oct 2306 07:28:00 GMT", now) == cap);
  CHECK(parse_retry_after("9999999999999999", now) == cap);
}

TEST_CASE("backoff grows exponentially, is capped and jittered") {
  RetryPolicy p;
  p.initial_backoff = milliseconds(100);
  p.max_backoff = milliseconds(1000);
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200; ++i) {
    CHECK(backoff_delay(1, p, rng) <= milliseconds(100));
    CHECK(backoff_delay(3, p, rng) <= milliseconds(400));
    CHECK(backoff_delay(30, p, rng) <= milliseconds(1000));
  }
  // Full jitter: not every draw is the same.
  std::set<long long> seen;
  for (int i = 0; i < 50; ++i) seen.insert(backoff_delay(4, p, rng).count());
  CHECK(seen.size() > 5);
}

TEST_CASE("5xx is retried until success") {
  test::FakeTransport t;
  t.reply(502, "bad gateway");
  t.reply(500, "oops");
  t.reply(200, "[]");
  Recorder rec;
  RetryPolicy p;
  p.initial_backoff = milliseconds(10);
  Retrier r(t, p, rec.sleeper(), 1);
  int attempts = 0;
  auto resp = r.send(get("http://x/a"), &attempts);
  CHECK(resp.status == 200);
  CHECK(attempts == 3);
  CHECK(rec.sleeps.size() == 2);
  CHECK(t.requests.size() == 3);
}

TEST_CASE("429 waits at least Retry-After") {
  test::FakeTransport t;
  t.reply(429, "Retry later", {{"retry-after", "2"}});
  t.reply(201, "{}");
  Recorder rec;
  RetryPolicy p;
  p.initial_backoff = milliseconds(1);
  Retrier r(t, p, rec.sleeper(), 1);
  CHECK(r.send(get("http://x/a")).status == 201);
  REQUIRE(rec.sleeps.size() == 1);
  CHECK(rec.sleeps[0] >= milliseconds(2000));
}

TEST_CASE("attempts are bounded and the last response is returned") {
  test::FakeTransport t;
  for (int i = 0; i < 5; ++i) t.reply(503, "down");
  Recorder rec;
  RetryPolicy p;
  p.max_attempts = 3;
  p.initial_backoff = milliseconds(1);
  Retrier r(t, p, rec.sleeper(), 1);
  int attempts = 0;
  CHECK(r.send(get("http://x/a"), &attempts).status == 503);
  CHECK(attempts == 3);
  CHECK(t.pending() == 2);
}

TEST_CASE("total time is bounded: a long Retry-After stops retrying") {
  test::FakeTransport t;
  t.reply(429, "Retry later", {{"retry-after", "3600"}});
  t.reply(200, "[]");
  Recorder rec;
  RetryPolicy p;
  p.max_total = milliseconds(5000);
  Retrier r(t, p, rec.sleeper(), 1);
  CHECK(r.send(get("http://x/a")).status == 429);
  CHECK(rec.sleeps.empty());
}

TEST_CASE("network errors are retried; TLS errors are not") {
  test::FakeTransport t;
  t.fail("connection reset");
  t.reply(200, "{}");
  Recorder rec;
  Retrier r(t, RetryPolicy{}, rec.sleeper(), 1);
  CHECK(r.send(get("http://x/a")).status == 200);

  test::FakeTransport t2;
  t2.fail("certificate verify failed", true);
  t2.reply(200, "{}");
  Retrier r2(t2, RetryPolicy{}, rec.sleeper(), 1);
  CHECK_THROWS_AS(r2.send(get("https://x/a")), NetworkError);
  CHECK(t2.requests.size() == 1);

  test::FakeTransport t3;
  for (int i = 0; i < 3; ++i) t3.fail("connection refused");
  RetryPolicy p;
  p.max_attempts = 3;
  Retrier r3(t3, p, rec.sleeper(), 1);
  CHECK_THROWS_AS(r3.send(get("http://x/a")), NetworkError);
  CHECK(t3.requests.size() == 3);
}

TEST_CASE("client errors are not retried") {
  test::FakeTransport t;
  t.reply(400, R"({"error":"body is missing"})");
  Recorder rec;
  Retrier r(t, RetryPolicy{}, rec.sleeper(), 1);
  CHECK(r.send(get("http://x/a")).status == 400);
  CHECK(t.requests.size() == 1);
  CHECK(rec.sleeps.empty());
}

TEST_CASE("a POST is only repeated when it surely was not applied") {
  Recorder rec;
  RetryPolicy p;
  p.initial_backoff = milliseconds(1);
  HttpRequest post = get("http://x/notes");
  post.method = "POST";

  test::FakeTransport busy;
  busy.reply(503, "busy");
  busy.reply(429, "Retry later", {{"retry-after", "0"}});
  busy.fail("Failed to connect", false, false);  // nothing went out
  busy.reply(201, "{}");
  CHECK(Retrier(busy, p, rec.sleeper(), 1).send(post).status == 201);
  CHECK(busy.requests.size() == 4);

  test::FakeTransport ambiguous;
  ambiguous.reply(500, "oops");
  ambiguous.reply(201, "{}");
  CHECK(Retrier(ambiguous, p, rec.sleeper(), 1).send(post).status == 500);
  CHECK(ambiguous.requests.size() == 1);

  for (long status : {502L, 504L}) {
    test::FakeTransport gateway;
    gateway.reply(status, "gateway");
    gateway.reply(201, "{}");
    CHECK(Retrier(gateway, p, rec.sleeper(), 1).send(post).status == status);
  }

  test::FakeTransport timeout;
  timeout.fail("Operation timed out", false, true);  // sent, answer lost
  timeout.reply(201, "{}");
  CHECK_THROWS_AS(Retrier(timeout, p, rec.sleeper(), 1).send(post), NetworkError);
  CHECK(timeout.requests.size() == 1);

  test::FakeTransport repeatable;
  repeatable.reply(500, "oops");
  repeatable.fail("reset", false, true);
  repeatable.reply(201, "{}");
  post.may_repeat = true;
  CHECK(Retrier(repeatable, p, rec.sleeper(), 1).send(post).status == 201);

  test::FakeTransport put;
  put.reply(500, "oops");
  put.fail("reset", false, true);
  put.reply(200, "{}");
  HttpRequest update = get("http://x/notes/1");
  update.method = "PUT";
  CHECK(Retrier(put, p, rec.sleeper(), 1).send(update).status == 200);
}
