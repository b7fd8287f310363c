// file-lock: the seed's JSON file, guarded by a Linux open file description
// lock (F_OFD_SETLKW) on a separate lock file that each buyer opens itself
// after fork. The kernel releases the lock when its holder dies.
#pragma once

#include <memory>

#include "storage/store.h"

namespace ticketsim {

std::unique_ptr<StoreSetup> create_file_lock_store(const StoreSpec& spec);

}  // namespace ticketsim
