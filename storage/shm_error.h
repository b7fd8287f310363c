// Words for a failure to make a named object in /dev/shm.
#pragma once

#include <cerrno>
#include <string>

#include <boost/interprocess/exceptions.hpp>

namespace ticketsim {

// The exception's words, and what a full /dev/shm means to the user.
inline std::string shm_error(const boost::interprocess::interprocess_exception& e) {
  std::string words = e.what();
  if (e.get_native_error() == ENOSPC) words += " (/dev/shm is full: free it or make it larger)";
  return words;
}

}  // namespace ticketsim
