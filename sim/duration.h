// Durations as scenario files write them: "50ms", "1s", "1.5s", "250us", "0".
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace ticketsim {

using Duration = std::chrono::nanoseconds;

// Parses "<number><unit>" with unit ns, us, ms, s or m; "0" alone is allowed.
// nullopt when the text is not a non-negative duration.
std::optional<Duration> parse_duration(std::string_view text);

// "50ms", "1.5s", "0s": the shortest exact form parse_duration reads back.
std::string format_duration(Duration duration);

// Seconds as a double, for reports.
inline double to_seconds(Duration duration) {
  return std::chrono::duration<double>(duration).count();
}

}  // namespace ticketsim
