// postgres-skip-locked: one row per unsold ticket, no hot row. A purchase
// locks the highest-numbered ticket no one else has locked (FOR UPDATE SKIP
// LOCKED LIMIT 1), then deletes it: the ticket numbers are real rows, and
// buyers never wait for each other. A buyer that finds every remaining row
// locked by purchases in flight is told sold-out; if one of those purchases
// then fails, its ticket is left unsold.
#pragma once

#include <memory>

#include "storage/store.h"

namespace ticketsim {

std::unique_ptr<StoreSetup> create_postgres_skip_locked_store(const StoreSpec& spec);

}  // namespace ticketsim
