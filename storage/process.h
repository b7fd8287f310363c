// What /proc says about another process (used by the stores that name a
// lock holder or a seller when a run is stuck, and by the locked JSON
// stores to tell a dead holder's left-over temporary file from a live one's),
// and the clock every process of a run shares.
#pragma once

#include <cstdint>

namespace ticketsim {

// Whether `pid` has ended (gone, or a zombie not yet reaped).
bool process_ended(std::int32_t pid);

// CLOCK_MONOTONIC in nanoseconds (a vDSO call, not a system call): the
// history's times, and the server faults' moments, on one clock.
std::int64_t monotonic_ns();

}  // namespace ticketsim
