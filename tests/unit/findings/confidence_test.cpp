#include <catch2/catch_test_macros.hpp>

#include "agent/findings/finding.h"

using namespace agent::findings;

TEST_CASE("confidence names round-trip, ordered low < medium < high", "[confidence]") {
  for (auto c : {Confidence::low, Confidence::medium, Confidence::high}) CHECK(parse_confidence(to_string(c)) == c);
  CHECK(parse_confidence("HIGH") == Confidence::high);
  CHECK_FALSE(parse_confidence("certain").has_value());
  CHECK_FALSE(parse_confidence("").has_value());
  CHECK(Confidence::low < Confidence::medium);
  CHECK(Confidence::medium < Confidence::high);
  CHECK(Finding{}.confidence == Confidence::high);  // other controls need not set it
}

TEST_CASE("drop_below_confidence keeps what is at or above the minimum, in order", "[confidence]") {
  std::vector<Finding> list(4);
  list[0].rule_id = "a";
  list[0].confidence = Confidence::low;
  list[1].rule_id = "b";
  list[1].confidence = Confidence::high;
  list[2].rule_id = "c";
  list[2].confidence = Confidence::medium;
  list[3].rule_id = "d";
  list[3].confidence = Confidence::low;
  auto copy = list;
  CHECK(drop_below_confidence(copy, Confidence::low) == 0);
  CHECK(copy.size() == 4);
  CHECK(drop_below_confidence(copy, Confidence::medium) == 2);
  REQUIRE(copy.size() == 2);
  CHECK(copy[0].rule_id == "b");
  CHECK(copy[1].rule_id == "c");
  CHECK(drop_below_confidence(copy, Confidence::high) == 1);
  CHECK(copy.size() == 1);
}
