// redis-watch: optimistic, as Redis documents it. WATCH the count, GET it,
// wait (the purchase delay), then MULTI, DECR, RPUSH to the ledger, EXEC;
// EXEC aborts when another buyer changed the count since the WATCH, and the
// purchase is tried again, up to max_tries, each try counted as a retry.
#pragma once

#include <memory>

#include "storage/store.h"

namespace ticketsim {

std::unique_ptr<StoreSetup> create_redis_watch_store(const StoreSpec& spec);

}  // namespace ticketsim
