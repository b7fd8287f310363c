// postgres-atomic: one UPDATE ... SET remaining = remaining - 1 WHERE id = 1
// AND remaining > 0 RETURNING: the read and the write are one statement,
// under the row lock the UPDATE takes. Valid, and the fewest round trips
// on a hot row.
#pragma once

#include <memory>

#include "storage/store.h"

namespace ticketsim {

std::unique_ptr<StoreSetup> create_postgres_atomic_store(const StoreSpec& spec);

}  // namespace ticketsim
