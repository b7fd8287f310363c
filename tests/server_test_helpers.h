// What the tests of the stores with servers (postgres_test, redis_test)
// share: a wait with a limit, whether a process lives, the processes that
// name a directory, and a purchase hook that interleaves two buyers.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <thread>

#include "storage/store.h"

// Polls `done` every 10ms for up to `limit`.
inline bool within(std::chrono::milliseconds limit, const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

inline bool alive(pid_t pid) { return kill(pid, 0) == 0; }

// Processes whose command line names `dir` (an embedded server's, made in
// it): none may be left after a run.
inline int processes_in(const std::filesystem::path& dir) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline");
    std::string line;
    try {
      line.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    } catch (const std::exception&) {
      continue;  // it ended while being read (ESRCH): any process on the machine may
    }
    if (line.find(dir.string()) != std::string::npos) ++count;
  }
  return count;
}

// A purchase hook that runs `body` at its point of the first purchase only:
// in the critical section, or once the COMMIT has been sent.
class Interleave final : public ticketsim::PurchaseHook {
 public:
  enum class At { kCriticalSection, kCommitSent };
  explicit Interleave(std::function<void()> body, At at = At::kCriticalSection) : body_(std::move(body)), at_(at) {}
  void in_critical_section() override { reached(At::kCriticalSection); }
  void after_commit_sent() override { reached(At::kCommitSent); }
  int calls() const { return calls_; }

 private:
  void reached(At at) {
    if (at == at_ && calls_++ == 0) body_();
  }
  std::function<void()> body_;
  At at_;
  int calls_ = 0;
};
