// redis-get-set: the seed's program on Redis. GET the count, wait (the
// purchase delay), SET it to what was read minus one: nothing keeps two
// buyers from reading the same count, so it oversells and loses updates.
#pragma once

#include <memory>

#include "storage/store.h"

namespace ticketsim {

std::unique_ptr<StoreSetup> create_redis_get_set_store(const StoreSpec& spec);

}  // namespace ticketsim
