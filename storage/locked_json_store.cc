#include "storage/locked_json_store.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "storage/process.h"
#include "storage/words.h"

namespace ticketsim {
namespace {

class LockedJsonStore final : public Store {
 public:
  LockedJsonStore(const std::filesystem::path& path, std::unique_ptr<StoreLock> lock, LockWatch& watch,
                  std::chrono::nanoseconds timeout)
      : file_(path, JsonWrite::kRename), lock_(std::move(lock)), watch_(watch), timeout_(timeout),
        path_(path), pid_(getpid()) {}

  SearchResult search() override {
    if (Outcome held = acquire(); held != Outcome::kOk) return {held, 0};
    SearchResult result = file_.read();
    release();
    return result;
  }

  BuyResult buy(const BuyRequest& request) override {
    if (Outcome held = acquire(); held != Outcome::kOk) return {held, 0, 0, 0};
    BuyResult result = buy_from_count_file(file_, request);
    release();
    return result;
  }

 private:
  // kOk with the lock held; else why not: kTimeout or kError.
  Outcome acquire() {
    watch_.start_waiting();
    StoreLock::Acquired acquired = lock_->lock(timeout_);
    watch_.stop_waiting();
    if (acquired == StoreLock::Acquired::kTimedOut) return Outcome::kTimeout;
    if (acquired == StoreLock::Acquired::kFailed) return Outcome::kError;
    if (acquired == StoreLock::Acquired::kAfterOwnerDied) repair();
    watch_.taken(pid_);
    return Outcome::kOk;
  }

  void release() {
    watch_.released();
    lock_->unlock();
  }

  // The holder died inside the critical section. Writes go through a
  // rename, so the store holds either the old count or the new one, both
  // consistent; only the dead holder's temporary file may be left over.
  void repair() {
    watch_.recovered();
    std::error_code ignored;
    for (const auto& entry : std::filesystem::directory_iterator(path_.parent_path(), ignored)) {
      std::string name = entry.path().filename().string();
      if (name.starts_with(path_.filename().string() + ".tmp.")) {
        int pid = std::atoi(name.c_str() + path_.filename().string().size() + 5);
        if (pid > 0 && process_ended(pid)) std::filesystem::remove(entry.path(), ignored);
      }
    }
  }

  CountFile file_;
  std::unique_ptr<StoreLock> lock_;
  LockWatch& watch_;
  std::chrono::nanoseconds timeout_;
  std::filesystem::path path_;
  std::int32_t pid_;
};

}  // namespace

std::string LockWatch::describe(std::string_view lock_name) const {
  std::int32_t holder = state_->holder.load();
  std::int32_t waiting = state_->waiting.load();
  std::string waiters = plural(waiting, "buyer waits", "buyers wait");
  if (holder == 0) return fmt::format("the {} has no recorded holder; {}", lock_name, waiters);
  return fmt::format("the {} is held by pid {}, which is {}; {}", lock_name, holder,
                     process_ended(holder) ? "dead" : "alive", waiters);
}

LockedJsonSetup::LockedJsonSetup(const StoreSpec& spec, std::string lock_name)
    : spec_(spec), path_(spec.store_file("tickets.json")), lock_name_(std::move(lock_name)) {
  CountFile::create(path_, spec.tickets, spec.replace);
}

std::unique_ptr<Store> LockedJsonSetup::open(std::int64_t /*buyer*/) {
  return std::make_unique<LockedJsonStore>(path_, open_lock(), watch_, spec_.options.lock_timeout);
}

std::unique_ptr<Store> LockedJsonSetup::open_baseline() {
  return open_unlocked_count_file(path_, JsonWrite::kRename);
}

FinalState LockedJsonSetup::inspect() {
  FinalState state = inspect_count_file(path_);
  state.lock_recoveries = watch_.recoveries();
  return state;
}

}  // namespace ticketsim
