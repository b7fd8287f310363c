// postgres-optimistic: no lock while reading. The purchase reads the count
// and its version, then UPDATE ... WHERE version = <read>; when another
// purchase got there first the UPDATE changes no row, and the purchase is
// rolled back and tried again (counted in retries): how many tries a sale
// costs under contention.
#pragma once

#include <memory>

#include "storage/store.h"

namespace ticketsim {

std::unique_ptr<StoreSetup> create_postgres_optimistic_store(const StoreSpec& spec);

}  // namespace ticketsim
