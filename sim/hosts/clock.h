// Clocks across hosts. Each agent times its buyers with its own clock; the
// coordinator estimates, NTP-style, how that clock stands against its own
// before and after the run (many rounds, keeping the one with the least
// round-trip delay: the offset is then known within half that delay), and
// maps every time an agent reports into its own clock, each with the
// uncertainty the estimates leave.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace ticketsim {

// An agent's clock: CLOCK_MONOTONIC, or, for tests only, that clock with an
// offset and a drift put in (agent --test-clock-offset, --test-clock-drift).
class AgentClock {
 public:
  AgentClock();  // no offset, no drift
  AgentClock(std::int64_t offset_ns, double drift_ppm);

  std::int64_t now() const;
  // A CLOCK_MONOTONIC reading (a buyer's), in this clock.
  std::int64_t from_monotonic(std::int64_t monotonic) const;
  // A time in this clock, as CLOCK_MONOTONIC.
  std::int64_t to_monotonic(std::int64_t time) const;

 private:
  std::int64_t epoch_;  // CLOCK_MONOTONIC when made: drift accumulates from here
  std::int64_t offset_ns_;
  double drift_;        // parts per one
};

// One round: the coordinator's clock when it asked and when the answer
// came, and the agent's clock when it answered.
struct ClockSample {
  std::int64_t sent_ns = 0;
  std::int64_t agent_ns = 0;
  std::int64_t received_ns = 0;
};

// The agent's clock minus the coordinator's, at `at_ns` (coordinator),
// within +- uncertainty_ns.
struct ClockEstimate {
  std::int64_t at_ns = 0;
  std::int64_t offset_ns = 0;
  std::int64_t round_trip_ns = 0;
  std::int64_t uncertainty_ns = 0;
};

// From the round with the least round-trip delay. `samples` must not be empty.
ClockEstimate estimate_clock(std::span<const ClockSample> samples);

// The largest drift a sound clock shows (NTP's frequency tolerance). An
// agent whose two estimates differ by more than their uncertainties and
// this drift allow had its clock stepped or worse: its times cannot be
// placed, and checks across hosts that need them are skipped.
inline constexpr double kMaxDriftPpm = 500;

// How an agent's clock maps onto the coordinator's over a run: the
// estimate before it, and the one after (drift is the line between them).
class ClockMapping {
 public:
  ClockMapping() = default;
  explicit ClockMapping(const ClockEstimate& before) : before_(before), after_(before) {}
  ClockMapping(const ClockEstimate& before, const ClockEstimate& after) : before_(before), after_(after), both_(true) {}

  // An agent's time as the coordinator's.
  std::int64_t to_coordinator(std::int64_t agent_ns) const;
  // The coordinator's time as the agent's.
  std::int64_t to_agent(std::int64_t coordinator_ns) const;
  // Within how much a mapped time is true: between the two estimates the
  // line's error is at most the larger of theirs.
  std::int64_t uncertainty_ns() const;
  double drift_ppm() const;
  // The offset at the coordinator's `at_ns`.
  std::int64_t offset_at(std::int64_t at_ns) const;
  // Whether the estimate after the run breaks the bound the one before set
  // (kMaxDriftPpm): then why, in words; else empty.
  std::string broken_bound() const;

  const ClockEstimate& before() const { return before_; }
  const ClockEstimate& after() const { return after_; }

 private:
  ClockEstimate before_;
  ClockEstimate after_;
  bool both_ = false;
};

}  // namespace ticketsim
