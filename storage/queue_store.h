// queue: the seed's announced next lesson. One seller process owns the
// inventory (kept in the JSON file, written by rename) and serves buyers
// through Boost.Interprocess message queues: one request queue, one reply
// queue per buyer. Every send and receive is timed.
#pragma once

#include <memory>

#include "storage/store.h"

namespace ticketsim {

std::unique_ptr<StoreSetup> create_queue_store(const StoreSpec& spec);

}  // namespace ticketsim
