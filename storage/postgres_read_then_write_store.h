// The PostgreSQL strategies that read the count, wait (the purchase delay),
// then write back what they read minus one: the seed's program in SQL. They
// differ only in what, if anything, keeps two buyers from reading the same
// count, which is the whole point of comparing them.
#pragma once

#include <memory>

#include "storage/store.h"

namespace ticketsim {

// postgres-read-write: SELECT, then UPDATE ... SET remaining = <read - 1> at
// READ COMMITTED, nothing locked between the two: lost updates and oversell.
std::unique_ptr<StoreSetup> create_postgres_read_write_store(const StoreSpec& spec);

// postgres-for-update: SELECT ... FOR UPDATE locks the row until COMMIT;
// the other buyers queue on it.
std::unique_ptr<StoreSetup> create_postgres_for_update_store(const StoreSpec& spec);

// postgres-serializable: the same read and write at SERIALIZABLE (or
// REPEATABLE READ); the server aborts the loser with SQLSTATE 40001 and the
// purchase is tried again.
std::unique_ptr<StoreSetup> create_postgres_serializable_store(const StoreSpec& spec);

// postgres-advisory: pg_advisory_xact_lock(<the run's key>) around the read
// and write: the named mutex's server-side twin, released at COMMIT.
std::unique_ptr<StoreSetup> create_postgres_advisory_store(const StoreSpec& spec);

}  // namespace ticketsim
