#include "storage/robust_mutex_store.h"

#include <pthread.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include <boost/interprocess/exceptions.hpp>
#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/shared_memory_object.hpp>
#include <fmt/format.h>

#include "storage/shm_error.h"

#include "storage/locked_json_store.h"

namespace ticketsim {
namespace {

namespace bip = boost::interprocess;

class RobustMutexLock final : public StoreLock {
 public:
  explicit RobustMutexLock(const std::string& name) {
    try {
      bip::shared_memory_object object(bip::open_only, name.c_str(), bip::read_write);
      region_ = bip::mapped_region(object, bip::read_write, 0, sizeof(pthread_mutex_t));
    } catch (const bip::interprocess_exception& e) {
      throw StoreError(fmt::format("shared memory '{}': cannot open: {}", name, shm_error(e)));
    }
    mutex_ = static_cast<pthread_mutex_t*>(region_.get_address());
  }

  Acquired lock(std::chrono::nanoseconds timeout) override {
    int rc = pthread_mutex_trylock(mutex_);
    if (rc == EBUSY) {
      timespec deadline;
      clock_gettime(CLOCK_MONOTONIC, &deadline);
      long long ns = deadline.tv_nsec + timeout.count() % 1'000'000'000;
      deadline.tv_sec += static_cast<time_t>(timeout.count() / 1'000'000'000 + ns / 1'000'000'000);
      deadline.tv_nsec = static_cast<long>(ns % 1'000'000'000);
      rc = pthread_mutex_clocklock(mutex_, CLOCK_MONOTONIC, &deadline);
    }
    if (rc == 0) return Acquired::kYes;
    if (rc == EOWNERDEAD) {
      pthread_mutex_consistent(mutex_);
      return Acquired::kAfterOwnerDied;
    }
    // ENOTRECOVERABLE and the like are the lock failing, not a wait.
    return rc == ETIMEDOUT ? Acquired::kTimedOut : Acquired::kFailed;
  }

  void unlock() override { pthread_mutex_unlock(mutex_); }

 private:
  bip::mapped_region region_;
  pthread_mutex_t* mutex_;
};

class RobustMutexSetup final : public LockedJsonSetup {
 public:
  explicit RobustMutexSetup(const StoreSpec& spec)
      : LockedJsonSetup(spec, "robust mutex"), name_("ticketsim-" + spec.run_id) {
    std::optional<bip::shared_memory_object> object;
    try {
      bip::permissions owner_only(0600);
      object.emplace(bip::create_only, name_.c_str(), bip::read_write, owner_only);
    } catch (const bip::interprocess_exception& e) {
      // Not ours (a name in use): leave it alone.
      throw StoreError(fmt::format("shared memory '{}': cannot create: {}", name_, shm_error(e)));
    }
    try {
      object->truncate(sizeof(pthread_mutex_t));
      bip::mapped_region region(*object, bip::read_write, 0, sizeof(pthread_mutex_t));
      pthread_mutexattr_t attributes;
      pthread_mutexattr_init(&attributes);
      pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED);
      pthread_mutexattr_setrobust(&attributes, PTHREAD_MUTEX_ROBUST);
      int rc = pthread_mutex_init(static_cast<pthread_mutex_t*>(region.get_address()), &attributes);
      pthread_mutexattr_destroy(&attributes);
      if (rc != 0) {
        bip::shared_memory_object::remove(name_.c_str());
        throw StoreError(fmt::format("robust mutex: cannot initialize: {}", std::strerror(rc)));
      }
    } catch (const bip::interprocess_exception& e) {
      bip::shared_memory_object::remove(name_.c_str());
      throw StoreError(fmt::format("shared memory '{}': cannot size or map: {}", name_, shm_error(e)));
    }
  }

  ~RobustMutexSetup() override { bip::shared_memory_object::remove(name_.c_str()); }

 protected:
  std::unique_ptr<StoreLock> open_lock() override { return std::make_unique<RobustMutexLock>(name_); }

 private:
  std::string name_;
};

}  // namespace

std::unique_ptr<StoreSetup> create_robust_mutex_store(const StoreSpec& spec) {
  return std::make_unique<RobustMutexSetup>(spec);
}

}  // namespace ticketsim
