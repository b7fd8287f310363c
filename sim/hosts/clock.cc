#include "sim/hosts/clock.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "storage/process.h"

namespace ticketsim {

AgentClock::AgentClock() : AgentClock(0, 0) {}

AgentClock::AgentClock(std::int64_t offset_ns, double drift_ppm)
    : epoch_(monotonic_ns()), offset_ns_(offset_ns), drift_(drift_ppm * 1e-6) {}

std::int64_t AgentClock::now() const { return from_monotonic(monotonic_ns()); }

std::int64_t AgentClock::from_monotonic(std::int64_t monotonic) const {
  if (monotonic == 0) return 0;  // "not yet" stays "not yet"
  return monotonic + offset_ns_ + static_cast<std::int64_t>(std::llround(static_cast<double>(monotonic - epoch_) * drift_));
}

std::int64_t AgentClock::to_monotonic(std::int64_t time) const {
  double since = static_cast<double>(time - offset_ns_ - epoch_) / (1.0 + drift_);
  return epoch_ + static_cast<std::int64_t>(std::llround(since));
}

ClockEstimate estimate_clock(std::span<const ClockSample> samples) {
  const ClockSample* best = &samples.front();
  for (const ClockSample& sample : samples) {
    if (sample.received_ns - sample.sent_ns < best->received_ns - best->sent_ns) best = &sample;
  }
  ClockEstimate estimate;
  estimate.round_trip_ns = best->received_ns - best->sent_ns;
  estimate.at_ns = best->sent_ns + estimate.round_trip_ns / 2;
  estimate.offset_ns = best->agent_ns - estimate.at_ns;
  // The agent read its clock somewhere within the round trip. One more
  // microsecond for the clocks' own reading and rounding.
  estimate.uncertainty_ns = (estimate.round_trip_ns + 1) / 2 + 1000;
  return estimate;
}

std::int64_t ClockMapping::offset_at(std::int64_t at_ns) const {
  if (!both_ || after_.at_ns == before_.at_ns) return before_.offset_ns;
  double slope = static_cast<double>(after_.offset_ns - before_.offset_ns) / static_cast<double>(after_.at_ns - before_.at_ns);
  return before_.offset_ns + static_cast<std::int64_t>(std::llround(slope * static_cast<double>(at_ns - before_.at_ns)));
}

std::int64_t ClockMapping::to_coordinator(std::int64_t agent_ns) const {
  if (agent_ns == 0) return 0;
  // The offset changes by parts per million: two steps place it to the nanosecond.
  std::int64_t guess = agent_ns - before_.offset_ns;
  guess = agent_ns - offset_at(guess);
  return agent_ns - offset_at(guess);
}

std::int64_t ClockMapping::to_agent(std::int64_t coordinator_ns) const { return coordinator_ns + offset_at(coordinator_ns); }

std::int64_t ClockMapping::uncertainty_ns() const { return std::max(before_.uncertainty_ns, after_.uncertainty_ns); }

double ClockMapping::drift_ppm() const {
  if (!both_ || after_.at_ns == before_.at_ns) return 0;
  return static_cast<double>(after_.offset_ns - before_.offset_ns) * 1e6 / static_cast<double>(after_.at_ns - before_.at_ns);
}

std::string ClockMapping::broken_bound() const {
  if (!both_) return {};
  double elapsed = static_cast<double>(after_.at_ns - before_.at_ns);
  double allowed = static_cast<double>(before_.uncertainty_ns + after_.uncertainty_ns) + elapsed * kMaxDriftPpm * 1e-6;
  double moved = std::abs(static_cast<double>(after_.offset_ns - before_.offset_ns));
  if (moved <= allowed) return {};
  return fmt::format("its clock moved {:.3f} ms against this one's over {:.3f} s, more than the {:.3f} ms its "
                     "uncertainty and a drift of {:.0f} ppm allow",
                     moved / 1e6, elapsed / 1e9, allowed / 1e6, kMaxDriftPpm);
}

}  // namespace ticketsim
