// Durations as scenario files write them.
#include "sim/duration.h"

#include <string>

#include <doctest/doctest.h>

using namespace ticketsim;
using namespace std::chrono_literals;

TEST_CASE("parse_duration reads every unit exactly") {
  struct Case {
    const char* text;
    Duration expected;
  };
  const Case cases[] = {
      {"50ms", Duration(50'000'000)},
      {"1s", Duration(1'000'000'000)},
      {"1.5s", Duration(1'500'000'000)},
      {"250us", Duration(250'000)},
      {"10ns", Duration(10)},
      {"2m", Duration(120'000'000'000)},
      {"0", Duration(0)},
      {"0s", Duration(0)},
      {"0.5ms", Duration(500'000)},
      {"100ms", Duration(100'000'000)},
      // 1.005 * 1e9 is 1004999999.9999999 in doubles: rounded, not truncated.
      {"1.005s", Duration(1'005'000'000)},
      {"1.005ms", Duration(1'005'000)},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    std::optional<Duration> parsed = parse_duration(c.text);
    REQUIRE(parsed.has_value());
    CHECK(parsed->count() == c.expected.count());
  }
}

TEST_CASE("parse_duration rejects what is not a non-negative duration") {
  const char* rejected[] = {"", "ms", "5", "-1s", "1h", "1.2.3s", "abc", "5 ms",
                            " 5ms", "5ms ", "5MS", "s5", "1e3s", "5msx", "00"};
  for (const char* text : rejected) {
    CAPTURE(text);
    CHECK_FALSE(parse_duration(text).has_value());
  }
}

TEST_CASE("format_duration writes the shortest form") {
  CHECK(format_duration(0ns) == "0s");
  CHECK(format_duration(50ms) == "50ms");
  CHECK(format_duration(1s) == "1s");
  CHECK(format_duration(1500ms) == "1.5s");
  CHECK(format_duration(250us) == "250us");
  CHECK(format_duration(10ns) == "10ns");
  CHECK(format_duration(2min) == "120s");
}

TEST_CASE("format_duration round-trips through parse_duration") {
  const Duration values[] = {
      0ns, 1ns, 10ns, 999ns, 1us, 1500ns, 250us, 999'999ns, 1ms, 1'234'567ns, 50ms, 100ms,
      999ms, 1s, 1500ms, 1'000'000'001ns, 2min, 3723'456'789'012ns, 86400s,
  };
  for (Duration d : values) {
    std::string text = format_duration(d);
    CAPTURE(d.count());
    CAPTURE(text);
    std::optional<Duration> back = parse_duration(text);
    REQUIRE(back.has_value());
    CHECK(back->count() == d.count());
  }
}

TEST_CASE("to_seconds") {
  CHECK(to_seconds(1500ms) == doctest::Approx(1.5));
  CHECK(to_seconds(0ns) == 0.0);
}
