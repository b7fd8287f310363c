// The hiredis functions ticketsim calls, forwarding to the library opened
// the first time a Redis strategy needs it: libpq_client.cc's twin
// (shared_library.h says why). A hiredis function called anywhere and
// missing here is a link error.

#include <hiredis/hiredis.h>

#include "storage/shared_library.h"

#define TICKETSIM_STRING(x) #x
#define TICKETSIM_SONAME(version) "libhiredis.so." TICKETSIM_STRING(version)

namespace ticketsim {
extern const char kHiredisSoname[] = TICKETSIM_SONAME(HIREDIS_SONAME);
}  // namespace ticketsim

namespace {

const ticketsim::SharedLibrary& hiredis() {
  static const ticketsim::SharedLibrary library(ticketsim::kHiredisSoname, "libhiredis0.14");
  return library;
}

}  // namespace

// Looked up once per function, on its first call.
#define HIREDIS(name) static auto* const real = hiredis().function<decltype(name)>(#name)

extern "C" {

redisContext* redisConnectWithTimeout(const char* ip, int port, const struct timeval tv) {
  HIREDIS(redisConnectWithTimeout);
  return real(ip, port, tv);
}
redisContext* redisConnectUnixWithTimeout(const char* path, const struct timeval tv) {
  HIREDIS(redisConnectUnixWithTimeout);
  return real(path, tv);
}
int redisSetTimeout(redisContext* context, const struct timeval tv) {
  HIREDIS(redisSetTimeout);
  return real(context, tv);
}
void redisFree(redisContext* context) {
  HIREDIS(redisFree);
  real(context);
}
int redisAppendCommandArgv(redisContext* context, int argc, const char** argv, const size_t* lengths) {
  HIREDIS(redisAppendCommandArgv);
  return real(context, argc, argv, lengths);
}
int redisBufferWrite(redisContext* context, int* done) {
  HIREDIS(redisBufferWrite);
  return real(context, done);
}
int redisGetReply(redisContext* context, void** reply) {
  HIREDIS(redisGetReply);
  return real(context, reply);
}
void freeReplyObject(void* reply) {
  HIREDIS(freeReplyObject);
  real(reply);
}

}  // extern "C"
