// file-lock: the seed's JSON file, guarded by a Linux open file description
// lock (F_OFD_SETLKW) on a separate lock file that each buyer opens itself
// after fork. The kernel releases the lock when its holder dies.
#pragma once

#include <memory>

#include "storage/store.h"

namespace ticketsim {

std::unique_ptr<StoreSetup> create_file_lock_store(const StoreSpec& spec);

// For tests: called, in the waiting process, with the lock file's
// descriptor after the lock was found taken and the wait's timer armed, just
// before the blocking wait. A hook that sleeps until the timer's first
// signal has come and gone plays a buyer descheduled for the whole timeout.
// nullptr (the default) for none.
using FileLockWaitHook = void (*)(int lock_fd);
void set_file_lock_wait_hook(FileLockWaitHook hook);

}  // namespace ticketsim
