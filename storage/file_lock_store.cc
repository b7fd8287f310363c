#include "storage/file_lock_store.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "storage/locked_json_store.h"

namespace ticketsim {
namespace {

// SIGALRM only has to interrupt a blocked F_OFD_SETLKW.
void on_alarm(int) {}

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

  Acquired lock(std::chrono::nanoseconds timeout) override {
    struct flock request = whole_file(F_WRLCK);
    if (fcntl(fd_, F_OFD_SETLK, &request) == 0) return Acquired::kYes;
    // Contended: block, with a one-shot timer to bound the wait.
    itimerval timer{};
    timer.it_value.tv_sec = static_cast<time_t>(timeout.count() / 1'000'000'000);
    timer.it_value.tv_usec = static_cast<suseconds_t>(timeout.count() % 1'000'000'000 / 1000);
    if (timer.it_value.tv_sec == 0 && timer.it_value.tv_usec == 0) timer.it_value.tv_usec = 1;
    setitimer(ITIMER_REAL, &timer, nullptr);
    int rc = fcntl(fd_, F_OFD_SETLKW, &request);
    itimerval off{};
    setitimer(ITIMER_REAL, &off, nullptr);
    return rc == 0 ? Acquired::kYes : Acquired::kTimedOut;
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

std::unique_ptr<StoreSetup> create_file_lock_store(const StoreSpec& spec) {
  return std::make_unique<FileLockSetup>(spec);
}

}  // namespace ticketsim
