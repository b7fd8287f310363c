// plain: the seed's store. A JSON file read, then the purchase delay, then
// decremented and written back, with no lock: concurrent buyers oversell.
#pragma once

#include <memory>

#include "storage/store.h"

namespace ticketsim {

std::unique_ptr<StoreSetup> create_plain_store(const StoreSpec& spec);

}  // namespace ticketsim
