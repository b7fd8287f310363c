// Futexes on words in memory shared between processes (a MAP_SHARED
// mapping made before fork): shared, not private, futexes, since the
// waiters are in other processes.
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

namespace ticketsim {

// Sleeps while `*word` is `expected`, at most `timeout` (nullptr: no limit).
inline long futex_wait(std::atomic<std::uint32_t>* word, std::uint32_t expected, const timespec* timeout) {
  return syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAIT, expected, timeout, nullptr, 0);
}

// Wakes up to `count` processes sleeping on `word`.
inline void futex_wake(std::atomic<std::uint32_t>* word, int count) {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAKE, count, nullptr, nullptr, 0);
}

}  // namespace ticketsim
