// named-mutex: the seed's JSON file, its read-modify-write under a
// Boost.Interprocess named_mutex (a POSIX named semaphore on Linux). The
// mutex has no owner: a holder that dies leaves it taken.
#pragma once

#include <memory>

#include "storage/store.h"

namespace ticketsim {

std::unique_ptr<StoreSetup> create_named_mutex_store(const StoreSpec& spec);

}  // namespace ticketsim
