// robust-mutex: the seed's JSON file under a process-shared robust pthread
// mutex (PTHREAD_MUTEX_ROBUST) in a Boost.Interprocess shared memory object.
// When a holder dies, the next buyer gets EOWNERDEAD, finds the store
// consistent (writes go through a rename), and marks the mutex consistent.
#pragma once

#include <memory>

#include "storage/store.h"

namespace ticketsim {

std::unique_ptr<StoreSetup> create_robust_mutex_store(const StoreSpec& spec);

}  // namespace ticketsim
