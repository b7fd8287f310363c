#include "sim/duration.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace ticketsim {

std::optional<Duration> parse_duration(std::string_view text) {
  if (text == "0") return Duration::zero();
  std::size_t unit_at = text.find_first_not_of("0123456789.");
  if (unit_at == 0 || unit_at == std::string_view::npos) return std::nullopt;
  std::string_view number = text.substr(0, unit_at);
  std::string_view unit = text.substr(unit_at);
  double value = 0;
  auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (error != std::errc() || end != number.data() + number.size()) return std::nullopt;
  double scale;
  if (unit == "ns") scale = 1;
  else if (unit == "us") scale = 1e3;
  else if (unit == "ms") scale = 1e6;
  else if (unit == "s") scale = 1e9;
  else if (unit == "m") scale = 60e9;
  else return std::nullopt;
  double ns = value * scale;
  if (!std::isfinite(ns) || ns < 0 || ns > 86400e9) return std::nullopt;
  return Duration(static_cast<Duration::rep>(std::llround(ns)));
}

std::string format_duration(Duration duration) {
  long long ns = duration.count();
  if (ns == 0) return "0s";
  if (ns % 1'000'000'000 == 0) return fmt::format("{}s", ns / 1'000'000'000);
  if (ns >= 1'000'000'000) return fmt::format("{}s", static_cast<double>(ns) / 1e9);
  if (ns % 1'000'000 == 0) return fmt::format("{}ms", ns / 1'000'000);
  if (ns >= 1'000'000) return fmt::format("{}ms", static_cast<double>(ns) / 1e6);
  if (ns % 1'000 == 0) return fmt::format("{}us", ns / 1'000);
  return fmt::format("{}ns", ns);
}

}  // namespace ticketsim
