// What /proc says about another process. Used by the stores that name a
// lock holder or a seller when a run is stuck, and by the locked JSON
// stores to tell a dead holder's left-over temporary file from a live one's.
#pragma once

#include <cstdint>

namespace ticketsim {

// Whether `pid` has ended (gone, or a zombie not yet reaped).
bool process_ended(std::int32_t pid);

}  // namespace ticketsim
