// What the locked JSON strategies (named-mutex, file-lock, robust-mutex)
// share: the seed's JSON file, written by rename so that it is never torn,
// with each search and purchase under a lock that only the strategy knows.
// A strategy supplies the lock; this file does the rest.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "storage/json_file.h"
#include "storage/shared_cell.h"
#include "storage/store.h"

namespace ticketsim {

// One buyer's handle on a strategy's lock.
class StoreLock {
 public:
  virtual ~StoreLock() = default;
  enum class Acquired {
    kYes,
    kAfterOwnerDied,  // taken from a holder that died holding it (robust mutex)
    kTimedOut,
    kFailed,  // the lock itself failed (a system call error): not a wait that ran out
  };
  virtual Acquired lock(std::chrono::nanoseconds timeout) = 0;
  virtual void unlock() = 0;
};

// Who holds the lock and how many wait, in memory mapped by the parent
// before fork: every buyer writes it, the parent reads it when a wait times
// out. Owns its mapping.
class LockWatch {
 public:
  void start_waiting() { state_->waiting.fetch_add(1, std::memory_order_relaxed); }
  void stop_waiting() { state_->waiting.fetch_sub(1, std::memory_order_relaxed); }
  void taken(std::int32_t pid) { state_->holder.store(pid, std::memory_order_relaxed); }
  void released() { state_->holder.store(0, std::memory_order_relaxed); }
  void recovered() { state_->recoveries.fetch_add(1, std::memory_order_relaxed); }
  std::int64_t recoveries() const { return state_->recoveries.load(); }

  // "the named mutex is held by pid 4123, which is dead; 13 buyers wait"
  std::string describe(std::string_view lock_name) const;

 private:
  struct State {
    std::atomic<std::int32_t> holder{0};
    std::atomic<std::int32_t> waiting{0};
    std::atomic<std::int64_t> recoveries{0};
  };
  SharedCell<State> state_;
};

class LockedJsonSetup : public StoreSetup {
 public:
  // Creates the JSON file; the subclass creates its lock.
  LockedJsonSetup(const StoreSpec& spec, std::string lock_name);

  std::unique_ptr<Store> open(std::int64_t buyer) override;
  std::unique_ptr<Store> open_baseline() override;
  FinalState inspect() override;
  std::string describe_stuck() override { return watch_.describe(lock_name_); }

 protected:
  // A buyer's own handle on the lock, opened in the buyer after fork.
  virtual std::unique_ptr<StoreLock> open_lock() = 0;

  const StoreSpec& spec() const { return spec_; }

 private:
  StoreSpec spec_;
  std::filesystem::path path_;
  std::string lock_name_;
  LockWatch watch_;
};

}  // namespace ticketsim
