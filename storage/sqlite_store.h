// sqlite: the count in an SQLite database in WAL mode. Each purchase is one
// BEGIN IMMEDIATE transaction that decrements the count only while it is
// positive and writes the sale into a ledger. SQLITE_BUSY is retried and
// counted, never a failed purchase.
#pragma once

#include <memory>

#include "storage/store.h"

namespace ticketsim {

std::unique_ptr<StoreSetup> create_sqlite_store(const StoreSpec& spec);

// What an SQLite store file holds (its count and ledger), or why it is not
// one: unreadable, not a database, failing PRAGMA integrity_check, or
// without the inventory row.
FinalState inspect_sqlite_file(const std::filesystem::path& path);

// sqlite-deferred: the same store, each purchase BEGIN DEFERRED, a read, then
// the write. When another buyer committed in between, the upgrade of the
// read lock fails with SQLITE_BUSY at once; the whole transaction is retried
// (and counted).
std::unique_ptr<StoreSetup> create_sqlite_deferred_store(const StoreSpec& spec);

}  // namespace ticketsim
