#include "storage/file_lock_store.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>

#include "storage/locked_json_store.h"
#include "storage/process.h"

namespace ticketsim {
namespace {

// SIGALRM only has to interrupt a blocked F_OFD_SETLKW.
void on_alarm(int) {}

FileLockWaitHook wait_hook = nullptr;


timeval to_timeval(std::chrono::nanoseconds duration) {
  std::int64_t us = std::max<std::int64_t>((duration.count() + 999) / 1000, 1);  // rounded up; 0 would disarm
  return timeval{static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
}

// The process's ITIMER_REAL, armed for as long as this lives.
class AlarmTimer {
 public:
  AlarmTimer(std::chrono::nanoseconds first, std::chrono::nanoseconds interval) {
    itimerval timer{to_timeval(interval), to_timeval(first)};
    setitimer(ITIMER_REAL, &timer, nullptr);
  }
  ~AlarmTimer() {
    itimerval off{};
    setitimer(ITIMER_REAL, &off, nullptr);
  }
  AlarmTimer(const AlarmTimer&) = delete;
  AlarmTimer& operator=(const AlarmTimer&) = delete;
};

class FileLock final : public StoreLock {
 public:
  explicit FileLock(const std::filesystem::path& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd_ < 0) throw StoreError(fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
    struct sigaction action {};
    action.sa_handler = on_alarm;  // no SA_RESTART: the wait returns EINTR
    sigemptyset(&action.sa_mask);
    sigaction(SIGALRM, &action, nullptr);
  }
  ~FileLock() override { ::close(fd_); }

  // F_OFD_SETLKW has no timeout of its own; a signal bounds it. A one-shot
  // timer is not enough: when its signal arrives before the call has begun
  // to block (a buyer descheduled for the whole timeout, common with 1,000
  // buyers on 2 cores), the handler runs, the call then blocks, and nothing
  // ever interrupts it. So the timer first fires at the deadline and then
  // again every kRetick: a signal lost that way is followed by another. The
  // deadline itself is kept on CLOCK_MONOTONIC and checked after each EINTR,
  // so a signal that is not the timer's (or the timer firing a little early
  // by rounding) only sends the call back to wait. The wait ends at the
  // deadline, or at worst one kRetick (plus scheduling) after it.
  Acquired lock(std::chrono::nanoseconds timeout) override {
    const std::int64_t deadline = monotonic_ns() + timeout.count();
    struct flock request = whole_file(F_WRLCK);
    if (fcntl(fd_, F_OFD_SETLK, &request) == 0) return Acquired::kYes;
    if (errno != EAGAIN && errno != EACCES) return Acquired::kFailed;  // not a lock someone else holds
    AlarmTimer timer(timeout, kRetick);
    if (wait_hook) wait_hook(fd_);
    for (;;) {
      if (fcntl(fd_, F_OFD_SETLKW, &request) == 0) return Acquired::kYes;
      if (errno != EINTR) return Acquired::kFailed;  // EBADF, ENOLCK, ...: an error, not a wait
      if (monotonic_ns() >= deadline) return Acquired::kTimedOut;
    }
  }

  void unlock() override {
    struct flock request = whole_file(F_UNLCK);
    fcntl(fd_, F_OFD_SETLK, &request);
  }

 private:
  static struct flock whole_file(short type) {
    struct flock request {};
    request.l_type = type;
    request.l_whence = SEEK_SET;
    return request;  // l_start = l_len = 0: the whole file; l_pid must be 0 for OFD locks
  }

  // After a lost signal, the next one comes this much later. Only a wait
  // already past its deadline sees more than one signal. It must be long
  // beside a system call: signals every microsecond would interrupt the
  // process before it could get back into fcntl, for ever.
  static constexpr std::chrono::milliseconds kRetick{1};

  int fd_ = -1;
};

class FileLockSetup final : public LockedJsonSetup {
 public:
  explicit FileLockSetup(const StoreSpec& spec)
      : LockedJsonSetup(spec, "file lock"), lock_path_(spec.dir / "tickets.lock") {
    int fd = ::open(lock_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) throw StoreError(fmt::format("{}: cannot create: {}", lock_path_.string(), std::strerror(errno)));
    ::close(fd);
  }

 protected:
  std::unique_ptr<StoreLock> open_lock() override { return std::make_unique<FileLock>(lock_path_); }

 private:
  std::filesystem::path lock_path_;
};

}  // namespace

void set_file_lock_wait_hook(FileLockWaitHook hook) { wait_hook = hook; }

std::unique_ptr<StoreSetup> create_file_lock_store(const StoreSpec& spec) {
  return std::make_unique<FileLockSetup>(spec);
}

}  // namespace ticketsim
