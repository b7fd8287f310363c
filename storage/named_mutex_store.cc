#include "storage/named_mutex_store.h"

#include <boost/date_time/posix_time/posix_time_types.hpp>
#include <boost/interprocess/exceptions.hpp>
#include <boost/interprocess/sync/named_mutex.hpp>
#include <fmt/format.h>

#include "storage/shm_error.h"

#include "storage/locked_json_store.h"

namespace ticketsim {
namespace {

namespace bip = boost::interprocess;

class NamedMutexLock final : public StoreLock {
 public:
  explicit NamedMutexLock(const std::string& name) : mutex_(open_mutex(name)) {}

  Acquired lock(std::chrono::nanoseconds timeout) override {
    if (mutex_.try_lock()) return Acquired::kYes;
    // Boost's deadline is on the system clock, in microseconds.
    auto deadline = boost::posix_time::microsec_clock::universal_time() +
                    boost::posix_time::microseconds(timeout.count() / 1000);
    return mutex_.timed_lock(deadline) ? Acquired::kYes : Acquired::kTimedOut;
  }

  void unlock() override { mutex_.unlock(); }

 private:
  static bip::named_mutex open_mutex(const std::string& name) {
    try {
      return bip::named_mutex(bip::open_only, name.c_str());
    } catch (const bip::interprocess_exception& e) {
      throw StoreError(fmt::format("named mutex '{}': cannot open: {}", name, shm_error(e)));
    }
  }

  bip::named_mutex mutex_;
};

class NamedMutexSetup final : public LockedJsonSetup {
 public:
  explicit NamedMutexSetup(const StoreSpec& spec)
      : LockedJsonSetup(spec, "named mutex"), mutex_name_("ticketsim-" + spec.run_id) {
    try {
      bip::permissions owner_only(0600);
      bip::named_mutex mutex(bip::create_only, mutex_name_.c_str(), owner_only);
    } catch (const bip::interprocess_exception& e) {
      throw StoreError(fmt::format("named mutex '{}': cannot create: {}", mutex_name_, shm_error(e)));
    }
  }

  // The parent owns the name: it goes when the run ends, whatever happened.
  ~NamedMutexSetup() override { bip::named_mutex::remove(mutex_name_.c_str()); }

 protected:
  std::unique_ptr<StoreLock> open_lock() override { return std::make_unique<NamedMutexLock>(mutex_name_); }

 private:
  std::string mutex_name_;
};

}  // namespace

std::unique_ptr<StoreSetup> create_named_mutex_store(const StoreSpec& spec) {
  return std::make_unique<NamedMutexSetup>(spec);
}

}  // namespace ticketsim
