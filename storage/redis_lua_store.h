// redis-lua: one EVALSHA runs a script that reads the count, and when a
// ticket is left decrements it and appends the sale to the ledger list, all
// at once: Redis runs a script alone. The purchase delay comes before it.
#pragma once

#include <memory>

#include "storage/store.h"

namespace ticketsim {

std::unique_ptr<StoreSetup> create_redis_lua_store(const StoreSpec& spec);

}  // namespace ticketsim
