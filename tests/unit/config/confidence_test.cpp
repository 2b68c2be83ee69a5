// min_confidence (central only) and merge_request.thread_min_confidence.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include "agent/config/config.h"
#include "agent/util/error.h"

using namespace agent::config;
using agent::findings::Confidence;
using Catch::Matchers::ContainsSubstring;

namespace {
std::string error_of(const std::string& yaml, Layer layer = Layer::central) {
  Config c;
  try {
    apply_layer(c, yaml, "jit.yml", layer);
  } catch (const agent::util::UsageError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("confidence keys: defaults, values, layers and errors", "[confidence]") {
  Config c = default_config();
  CHECK(c.min_confidence == Confidence::low);
  CHECK(c.thread_min_confidence == Confidence::medium);

  apply_layer(c, "min_confidence: medium\nmerge_request:\n  thread_min_confidence: high\n", "jit.yml", Layer::central);
  CHECK(c.min_confidence == Confidence::medium);
  CHECK(c.thread_min_confidence == Confidence::high);
  apply_layer(c, "merge_request: {thread_min_confidence: low}\n", ".jit/jit-config.yml", Layer::repository);
  CHECK(c.thread_min_confidence == Confidence::low);

  CHECK(error_of("min_confidence: sure\n") == "jit.yml:1:17: min_confidence: expected high, medium or low");
  CHECK(error_of("merge_request:\n  thread_min_confidence: [low]\n") ==
        "jit.yml:2:26: merge_request.thread_min_confidence: expected high, medium or low");
  CHECK_THAT(error_of("min_confidence: high\n", Layer::repository),
             ContainsSubstring("jit.yml:1:1: \"min_confidence\" can only be set in the central configuration"));
}
