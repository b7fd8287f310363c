// redis-decr: one DECR takes a ticket; a result below zero means there was
// none, and an INCR puts the count back before the buyer is told sold-out.
// No acknowledged sale is ever oversold, but between the DECR and the INCR
// the count is negative, and a search that reads it then sees a count no
// store should hold: the checker's read bounds find it.
#pragma once

#include <memory>

#include "storage/store.h"

namespace ticketsim {

std::unique_ptr<StoreSetup> create_redis_decr_store(const StoreSpec& spec);

}  // namespace ticketsim
